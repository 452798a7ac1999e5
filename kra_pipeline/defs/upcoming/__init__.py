"""Upcoming race days: their cards from the entry sheet, before the day (kept as first seen),
with the job and the evening schedule that fetch them."""
