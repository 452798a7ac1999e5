"""Scratches with KRA's reasons (API9_1), one asset beside the card."""

from kra_pipeline.defs.scratches.assets import race_day_scratches

scratch_assets = [race_day_scratches]
