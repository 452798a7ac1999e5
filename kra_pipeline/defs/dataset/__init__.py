"""Assets computed from the race store's own history: `entrant_form` per race day, and the
analysts' export of the whole history (`entrant_dataset`, with its weekly schedule)."""

from kra_pipeline.defs.features.dataset_export import (
    entrant_dataset,
    export_dataset,
    weekly_dataset_export,
)
from kra_pipeline.defs.features.form import entrant_form

feature_assets = [entrant_form, entrant_dataset]

__all__ = [
    "entrant_dataset",
    "entrant_form",
    "export_dataset",
    "feature_assets",
    "weekly_dataset_export",
]
