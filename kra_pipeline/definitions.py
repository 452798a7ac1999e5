"""The Dagster code location `kra`: every asset, check, job, schedule and sensor under
`kra_pipeline.defs` (found by `load_defs`, one folder per domain), the resources and the
executor."""

from dagster import Definitions, in_process_executor
from dagster.components import load_defs

import kra_pipeline.defs
from kra_pipeline.defs.shared.resources import default_resources

defs = Definitions.merge(
    load_defs(kra_pipeline.defs),
    Definitions(
        resources=default_resources(),
        # raw → collected → enriched is a strict chain: a process per step would buy no
        # parallelism and cost a Python + Dagster start-up per step. Runs still run side by side.
        executor=in_process_executor,
    ),
)
