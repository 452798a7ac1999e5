"""The market: a race day's pool grids (dividends, confirmed odds), its job and sensor; the
market by meet x month (grids, sales, integrity checks) and the market history job."""

from kra_pipeline.defs.market.assets import race_day_confirmed_odds, race_day_dividends
from kra_pipeline.defs.market.months import market_month_assets

# The race-day market assets (the quota resume sensor resumes these by race day).
market_assets = [race_day_dividends, race_day_confirmed_odds]
__all__ = ["market_assets", "market_month_assets"]
