"""The asset groups of the Dagster UI: one per domain, the same word as its folder."""

from enum import StrEnum


class Group(StrEnum):
    RACE_DAYS = "race_days"
    MARKET = "market"
    SCRATCHES = "scratches"
    TRACK = "track"
    UPCOMING = "upcoming"
    FORM = "form"
    DATASET = "dataset"
    PREDICTION = "prediction"
