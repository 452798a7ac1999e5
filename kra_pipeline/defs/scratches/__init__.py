"""Scratches with reasons, one asset (API9_1)."""

from kra_pipeline.defs.scratches.assets import race_day_scratches

scratch_assets = [race_day_scratches]

__all__ = ["race_day_scratches", "scratch_assets"]
