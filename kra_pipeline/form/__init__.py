"""Features computed from the race store's own history (no Dagster, no SQL).

- `form`: point-in-time form of every entrant from the results strictly before its race date.
"""
