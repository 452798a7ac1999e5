"""What every race-day step that calls KRA shares: the pool and the retry policy."""

from dagster import Backoff, Jitter, RetryPolicy

from kra_pipeline.defs.shared.names import KRA_POOL

# Transient faults the client could not absorb (its own retries are spent) retry the step.
KRA_RETRY_POLICY = RetryPolicy(
    max_retries=3, delay=15, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)

__all__ = ["KRA_POOL", "KRA_RETRY_POLICY"]
