"""The market: a race day's pool grids (dividends, confirmed odds), its job and sensor."""

from kra_pipeline.defs.market.assets import race_day_confirmed_odds, race_day_dividends

market_assets = [race_day_dividends, race_day_confirmed_odds]
