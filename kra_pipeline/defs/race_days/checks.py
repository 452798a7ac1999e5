"""Asset checks on a race day: the rules a collected card and its enrichment must keep.

The rules are plain functions over typed races so they are tested on bad data directly; the
assets attach their results to each materialization.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from kra_pipeline.contract import (
    COLLECTED_ASSET,
    ENRICHED_ASSET,
)
from kra_pipeline.races.models import (
    HORSE_ID_WIDTH,
    PERSON_ID_WIDTH,
    EnrichedEntrant,
    Race,
    is_post_race_field,
)
from kra_pipeline.store.cards import StoredCard

MIN_FIELD, MAX_FIELD = 1, 16
# Below this share of entrants with all three details, enrichment is reported as failed.
MIN_ENRICHED_SHARE = 0.9

COLLECTED = AssetKey(COLLECTED_ASSET)
ENRICHED = AssetKey(ENRICHED_ASSET)

COLLECTED_CHECKS = [
    AssetCheckSpec("field_size_in_range", asset=COLLECTED, description="1–16 entrants per race"),
    AssetCheckSpec("no_duplicate_gates", asset=COLLECTED, description="one entrant per gate"),
    AssetCheckSpec("ids_normalised", asset=COLLECTED, description="zero-padded id strings"),
    AssetCheckSpec(
        "card_has_no_result_fields",
        asset=COLLECTED,
        description="no post-race field in the pre-race view",
    ),
]
ENRICHED_CHECKS = [
    AssetCheckSpec(
        "enrichment_coverage", asset=ENRICHED, description="share of entrants fully enriched"
    ),
]


def _result(
    name: str, asset: AssetKey, problems: list[str], **metadata: object
) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"problems": "; ".join(problems[:20]) or "none", **metadata},
    )


def check_field_size(races: Sequence[Race]) -> AssetCheckResult:
    problems = [
        f"race {race.race_no} has {len(race.entrants)} entrants"
        for race in races
        if not MIN_FIELD <= len(race.entrants) <= MAX_FIELD
    ]
    return _result("field_size_in_range", COLLECTED, problems)


def check_unique_gates(races: Sequence[Race]) -> AssetCheckResult:
    problems = []
    for race in races:
        counts = Counter(entrant.gate_no for entrant in race.entrants)
        problems += [f"race {race.race_no} gate {g} ×{n}" for g, n in counts.items() if n > 1]
    return _result("no_duplicate_gates", COLLECTED, problems)


def _well_formed(value: str | None, width: int) -> bool:
    return value is None or (len(value) == width and value.isdigit())


def check_ids_normalised(races: Sequence[Race]) -> AssetCheckResult:
    problems = [
        f"race {race.race_no} gate {entrant.gate_no}"
        for race in races
        for entrant in race.entrants
        if not (
            _well_formed(entrant.horse_no, HORSE_ID_WIDTH)
            and all(
                _well_formed(value, PERSON_ID_WIDTH)
                for value in (entrant.jockey_no, entrant.trainer_no, entrant.owner_no)
            )
        )
    ]
    return _result("ids_normalised", COLLECTED, problems)


def check_card_has_no_result_fields(cards: Sequence[StoredCard]) -> AssetCheckResult:
    """The stored pre-race cards must hold no finish, time, margin or sectional field."""
    problems = [
        f"race {race_no} gate {gate_no}: {name}"
        for race_no, gate_no, card in cards
        for name in card
        if is_post_race_field(name)
    ]
    return _result("card_has_no_result_fields", COLLECTED, problems)


def collected_check_results(
    races: Sequence[Race], cards: Sequence[StoredCard]
) -> list[AssetCheckResult]:
    return [
        check_field_size(races),
        check_unique_gates(races),
        check_ids_normalised(races),
        check_card_has_no_result_fields(cards),
    ]


def check_enrichment_coverage(rows: Sequence[EnrichedEntrant]) -> AssetCheckResult:
    complete = sum(1 for row in rows if not row.missing_details)
    share = complete / len(rows) if rows else 1.0
    problems = (
        []
        if share >= MIN_ENRICHED_SHARE
        else [f"only {complete} of {len(rows)} entrants have horse, jockey and trainer details"]
    )
    return _result("enrichment_coverage", ENRICHED, problems, coverage=round(share, 4))
