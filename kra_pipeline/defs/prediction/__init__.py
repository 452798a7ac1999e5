"""Prediction: the trained race model, each race day's predictions, and the sensor that
predicts the days ahead once their entry sheets are in."""

from kra_pipeline.defs.prediction.model import race_model
from kra_pipeline.defs.prediction.predictions import race_predictions
from kra_pipeline.defs.prediction.sensor import predict_upcoming_days

prediction_assets = [race_model, race_predictions]

__all__ = ["predict_upcoming_days", "prediction_assets", "race_model", "race_predictions"]
