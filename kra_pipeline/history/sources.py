"""Where a raw race day comes from: the stored API4_3 month answer, or API214_1 per day.

A past day (older than KRA_RECENT_DAYS) is cut out of its meet's month answer, fetched once per
month and meet and kept in `raw_race_months`, so the day itself costs no call; a day the month
answer does not list had no racing. Recent days, KRA_HISTORY_SOURCE=day, a key refused API4_3
(code 20 or 12) and a month answer that looks incomplete all go per day; the last two say so
in `RawDay.fallback`, so no race day is ever lost to the month path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from kra_pipeline.contract import (
    DATE_FORMAT,
    KST,
    SOURCE_DAY_API,
    kst_today,
)
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.errors import (
    NO_SUCH_SERVICE,
    SERVICE_NOT_GRANTED,
    KraConfigurationError,
    KraRequestError,
)
from kra_pipeline.races.fields import compact_date, to_positive_integer
from kra_pipeline.races.models import ORD_SENTINEL_MIN, envelope_items
from kra_pipeline.store import race_days, race_months

# Past race days come from API4_3 month answers when the key has it.
SOURCE_MONTH_API = "API4_3"
REFUSAL_CODES = frozenset({SERVICE_NOT_GRANTED, NO_SUCH_SERVICE})
# Processes that learnt their key may not call API4_3 (by base URL): asked once per process.
_refused: dict[str, str] = {}


@dataclass(frozen=True)
class RawDay:
    """A raw race day as stored: its pages, the calls this step spent, and its provenance."""

    pages: list[dict[str, Any]]
    api_calls: int
    source: str
    month: str | None = None
    fallback: str | None = None


def _day(race_date: str) -> dt.date:
    return dt.datetime.strptime(race_date, DATE_FORMAT).date()


def is_settled(race_date: str, on: dt.date, recent_days: int) -> bool:
    """Whether a day is old enough on `on` for its results to be final (past the recent days)."""
    return (on - _day(race_date)).days > recent_days


def month_items(pages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in envelope_items(page)]


def month_problem(month: race_months.RawRaceMonth, recent_days: int) -> str | None:
    """Why a stored month answer cannot be trusted for its settled days, or None if it can.

    Incomplete means: fewer rows than its totalCount, or a settled race day whose race numbers
    are not 1..n, or a settled race without a single finishing position.
    """
    items = month_items(month.pages)
    if len(items) != month.total_count:
        return f"{len(items)} rows for totalCount {month.total_count}"
    fetched_on = month.fetched_at.astimezone(KST).date()
    races: dict[str, dict[int, bool]] = {}
    for item in items:
        race_date = compact_date(item.get("rcDate")) or ""
        if not race_date.startswith(month.month) or not is_settled(
            race_date, fetched_on, recent_days
        ):
            continue
        position = to_positive_integer(item.get("ord"))
        finished = position is not None and position < ORD_SENTINEL_MIN
        day = races.setdefault(race_date, {})
        race_no = int(item["rcNo"])
        day[race_no] = day.get(race_no, False) or finished
    for race_date, day in sorted(races.items()):
        if sorted(day) != list(range(1, len(day) + 1)):
            return f"{race_date} lists races {sorted(day)}, not 1..{len(day)}"
        unrun = [no for no, finished in sorted(day.items()) if not finished]
        if unrun:
            return f"{race_date} races {unrun} have no result"
    return None


def day_page(items: list[dict[str, Any]], month: race_months.RawRaceMonth) -> dict[str, Any]:
    """One race day's rows cut out of a month answer, in the envelope API214_1 pages have, with
    a `source` note saying where they came from."""
    body = {
        "items": {"item": items} if items else "",
        "numOfRows": len(items),
        "pageNo": 1,
        "totalCount": len(items),
    }
    return {
        "response": {"header": {"resultCode": "00", "resultMsg": "NORMAL SERVICE."}, "body": body},
        "source": {
            "api": SOURCE_MONTH_API,
            "rc_month": month.month,
            "fetched_at": month.fetched_at.isoformat(),
        },
    }


def fetch_month(
    client: KraClient, engine: Engine, month: str, meet: int
) -> tuple[race_months.RawRaceMonth, int]:
    """Ask API4_3 for a meet's month, store the answer verbatim; (the stored month, calls)."""
    before = client.stats.total_calls
    answer = client.fetch_race_month(meet, month)
    calls = client.stats.total_calls - before
    race_months.save_raw_race_month(engine, month, meet, answer.pages, answer.total_count, calls)
    stored = race_months.load_raw_race_month(engine, month, meet)
    assert stored is not None  # written just above
    return stored, calls


def _per_day(
    client: KraClient, race_date: str, meet: int, calls: int, fallback: str | None
) -> RawDay:
    before = client.stats.total_calls
    answer = client.fetch_race_day(meet, race_date)
    spent = calls + client.stats.total_calls - before
    return RawDay(answer.pages, spent, SOURCE_DAY_API, fallback=fallback)


def collect_raw_day(
    client: KraClient,
    engine: Engine,
    race_date: str,
    meet: int,
    *,
    today: dt.date | None = None,
) -> RawDay:
    """The raw pages of one race day from the cheapest trustworthy source, stored."""
    raw = _choose(client, engine, race_date, meet, today or kst_today())
    race_days.save_raw_race_day(engine, race_date, meet, raw.pages, raw.api_calls)
    return raw


def _choose(client: KraClient, engine: Engine, race_date: str, meet: int, today: dt.date) -> RawDay:
    settings = client.settings
    recent = settings.recent_days
    if settings.history_source == "day" or not is_settled(race_date, today, recent):
        return _per_day(client, race_date, meet, 0, None)
    refused = _refused.get(settings.api_base_url)
    if refused is not None:
        return _per_day(client, race_date, meet, 0, refused)
    month_key = race_date[:6]
    calls = 0
    stored = race_months.load_raw_race_month(engine, month_key, meet)
    fetched_on = stored.fetched_at.astimezone(KST).date() if stored else None
    if stored is None or fetched_on is None or not is_settled(race_date, fetched_on, recent):
        try:
            stored, calls = fetch_month(client, engine, month_key, meet)
        except (KraConfigurationError, KraRequestError) as error:
            if error.code is None:  # rows of another month or meet: the filter was ignored
                return _per_day(client, race_date, meet, 0, f"{error}: asked API214_1 per day")
            if error.code not in REFUSAL_CODES:
                raise
            reason = f"API4_3 refused (code {error.code}): asked API214_1 per day instead"
            _refused[settings.api_base_url] = reason
            return _per_day(client, race_date, meet, 0, reason)
    problem = month_problem(stored, recent)
    if problem is not None:
        reason = f"API4_3 month {month_key} looks incomplete ({problem}): asked API214_1"
        return _per_day(client, race_date, meet, calls, reason)
    rows = [i for i in month_items(stored.pages) if compact_date(i.get("rcDate")) == race_date]
    return RawDay([day_page(rows, stored)], calls, SOURCE_MONTH_API, month=month_key)
