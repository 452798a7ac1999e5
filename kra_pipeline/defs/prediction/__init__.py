"""Prediction: the trained race model and each race day's predictions."""

from kra_pipeline.defs.prediction.model import race_model
from kra_pipeline.defs.prediction.predictions import race_predictions

prediction_assets = [race_model, race_predictions]

__all__ = ["prediction_assets", "race_model", "race_predictions"]
