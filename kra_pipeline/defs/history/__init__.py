"""History: API4_3 month answers, the cheap source of past race days (assets in raw_month),
and the sensor that resumes race days a spent daily quota left undone (quota_resume)."""
