"""Odds and dividends of a race day, one asset per source API."""

from kra_pipeline.defs.market.pools import race_day_confirmed_odds, race_day_dividends

market_assets = [race_day_dividends, race_day_confirmed_odds]

__all__ = ["market_assets", "race_day_confirmed_odds", "race_day_dividends"]
