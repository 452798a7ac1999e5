"""The race store as pandas frames for analysts::

    from kra_pipeline.dataset import entrants
    season = entrants("20250101", "20251231", meets=[1], form=True)

`races` and `entrants` take `date_from`/`date_to` (YYYYMMDD, both included) and `meets`;
`entrants` switches on results, registry snapshots (`enrichment`) and point-in-time `form`.
The store is KRA_DATABASE_URL (or the SQLite file under KRA_HOME) unless `engine` is given.
Column types, units and meanings: `kra_pipeline.dataset.schema`.
"""

from kra_pipeline.dataset.frames import entrants, iter_entrants, races, typed

__all__ = ["entrants", "iter_entrants", "races", "typed"]
