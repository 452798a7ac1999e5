"""The Dagster side of the pipeline: `shared/` holds the plumbing (partitions, resources, retry
and pool policy, batching, refusals, the source-asset factory, groups); each domain folder
(race_days, market, scratches, track, upcoming, form, dataset, prediction) owns its assets,
checks, jobs, schedules and sensors; `quota_resume` is the one sensor across domains.

Every Dagster object defined at module level here is found by `load_defs` (definitions.py), so
a new asset, job, schedule or sensor registers itself.
"""
