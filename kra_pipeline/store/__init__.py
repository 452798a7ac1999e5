"""The race store: raw pages, collected races, reference data and enrichment in SQL.

SQLite (`<KRA_HOME>/races.sqlite`) by default, PostgreSQL through KRA_DATABASE_URL. The schema
migrates itself on first use; see `kra_pipeline.store.db` for running Alembic by hand.

One module per stage or domain, and one way in: import the module you need.
- `db`: engines, sessions, migrations, locks;  `tables`: the schema;
- `race_days`: the raw answer and the collected races (stages 1 and 2);
- `reference`, `listings`: horse, jockey and trainer details;  `enriched`: stage 3;
- `form`: the history point-in-time form is computed from, and the `entrant_form` rows;
- `cards`, `day_rows`, `views`: read-only shapes for checks and the REST shim.
"""
