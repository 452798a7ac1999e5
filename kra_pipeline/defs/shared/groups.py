"""The asset groups of the Dagster UI: one per domain, the same word as its folder.

Plain strings (not an Enum): a group name travels to the webserver and the daemon through
Dagster's serialiser, which refuses enums it does not know.
"""


class Group:
    RACE_DAYS = "race_days"
    MARKET = "market"
    SCRATCHES = "scratches"
    TRACK = "track"
    UPCOMING = "upcoming"
    FORM = "form"
    DATASET = "dataset"
    PREDICTION = "prediction"
