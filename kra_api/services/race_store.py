"""Reads from the race store for the REST shim."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.encoders import jsonable_encoder

from kra_pipeline.store.views import list_races, race_page


def races_for_day(
    race_date: str, meet: int, race_numbers: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """Races of one day with their entrants (and enrichment when stored), JSON-ready."""
    from kra_pipeline.store.db import get_engine

    races = list_races(get_engine(), race_date, meet)
    wanted = set(race_numbers or ())
    documents = [jsonable_encoder(race) for race in races]
    if wanted:
        documents = [race for race in documents if int(race.get("race_no", 0)) in wanted]
    return documents


def upcoming_races(
    race_date: str, meet: int, race_numbers: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """An upcoming day's card as its entry sheet first listed it, by race, JSON-ready."""
    from kra_pipeline.store.db import get_engine
    from kra_pipeline.store.upcoming import first_seen_races

    return jsonable_encoder(first_seen_races(get_engine(), race_date, meet, race_numbers))


def races_in_range(
    date_from: str, date_to: str, meets: list[int], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the races in the range, JSON-ready, and how many races the range holds."""
    from kra_pipeline.store.db import get_engine

    races, total = race_page(get_engine(), date_from, date_to, meets, limit, offset)
    return [jsonable_encoder(race) for race in races], total


def check_store() -> str:
    """The store's masked URL once it answered and accepted a write; else raise with the
    driver's plain message (password authentication failed, attempt to write a readonly
    database…), so a store no run could write to is not reported healthy."""
    from kra_pipeline.store.db import get_engine, masked_url, probe_write

    engine = get_engine()
    probe_write(engine)
    return masked_url(engine.url)


def without_results(race: dict[str, Any]) -> dict[str, Any]:
    """The race as a card: entrants' post-race `result` dropped (options.get_results=false)."""
    entrants = [{k: v for k, v in e.items() if k != "result"} for e in race.get("entrants", [])]
    return {**race, "entrants": entrants}
