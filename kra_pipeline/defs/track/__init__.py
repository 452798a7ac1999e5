"""Track condition and weather per race (API189_1), beside the track text of API214_1."""

from kra_pipeline.defs.track.assets import race_day_track

track_assets = [race_day_track]
