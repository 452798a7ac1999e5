"""History: API4_3 month answers, the cheap source of past race days (assets in raw_month)."""
