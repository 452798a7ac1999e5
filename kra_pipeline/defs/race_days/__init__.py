"""The race-day stages: raw answer → collected card and results → enriched entrants."""
