"""Assets computed from the race store's own history: `entrant_form` per race day."""

from kra_pipeline.defs.features.form import entrant_form

feature_assets = [entrant_form]

__all__ = ["entrant_form", "feature_assets"]
