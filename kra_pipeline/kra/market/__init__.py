"""The market side of the KRA client: tote pools and their rows (pools), the month grids
(grid_rows), pool sales (pool_sales), month fetches (pool_months) and the pari-mutuel
integrity checks (pool_integrity). Import from the module that holds a name."""
