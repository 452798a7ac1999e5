"""Small markdown previews of a race day for the Dagster UI."""

from __future__ import annotations

from collections.abc import Sequence

from kra_pipeline.races.models import Race


def races_markdown(races: Sequence[Race], limit: int = 20) -> str:
    """One line per race: number, distance, class, field size and whether it has run."""
    if not races:
        return "_No racing on this day._"
    lines = [
        "| race | distance | class | track | runners | scratched | finished |",
        "|---|---|---|---|---|---|---|",
    ]
    for race in races[:limit]:
        scratched = sum(1 for entrant in race.entrants if entrant.is_scratched)
        moisture = race.track_moisture
        track = f"{race.track_condition or '-'} {'' if moisture is None else f'{moisture}%'}"
        lines.append(
            f"| {race.race_no} | {race.distance or '-'} | {race.race_class or '-'} "
            f"| {track.strip()} "
            f"| {race.runner_count} | {scratched} | {'yes' if race.is_finished else 'no'} |"
        )
    if len(races) > limit:
        lines.append(f"\n_{len(races) - limit} more races not shown._")
    return "\n".join(lines)
