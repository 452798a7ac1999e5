"""The model registry: which trained race model answers for the days ahead, and why.

A version names everything that makes a model what it is: the training rows (their hash), the
feature list, the hyper-parameters, the code revision and the numeric libraries. Training the
same recipe on the same data gives the same version and reuses its files; anything else gives a
new version beside the old ones, which stay as they are (predictions name the model that made
them). A model trained with a cut-off in the past is a backtest: kept and listed, never served.

A new model replaces the served one only when its walk-forward log-loss beats it on the races
both evaluations scored (or ties it with later data), or by hand (`kra model promote`). Every
decision, refusals included with both figures, is appended to `promotions.jsonl`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import pandas as pd

from kra_pipeline.prediction import artefact
from kra_pipeline.prediction.artefact import ModelCard
from kra_pipeline.prediction.evaluation import race_scores
from kra_pipeline.prediction.features import RACE_KEY
from kra_pipeline.prediction.model import RaceModel

LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy")
PROMOTIONS_FILE = "promotions.jsonl"
LOCK_FILE = ".registry.lock"
SCORE_COLUMNS = ("race_date", "meet", "race_no", "week_start", "log_loss")
TIE = 1e-9  # log-loss differences below this are ties (float noise, same predictions)


class UnknownVersion(LookupError):
    """No saved model has that version."""


class NeverServed(ValueError):
    """A backtest was asked to be served."""


@dataclass(frozen=True)
class Decision:
    """One promotion decision, as the log keeps it."""

    version: str
    promoted: bool
    by: str  # "walk-forward", "hand" or "backtest"
    reason: str
    previous: str | None
    candidate_log_loss: float | None = None
    served_log_loss: float | None = None
    common_races: int = 0
    common_weeks: list[str] = field(default_factory=list)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class Registration:
    card: ModelCard
    created: bool  # False: the version existed and its files were left as they were
    decision: Decision


def library_versions() -> dict[str, str]:
    return {name: package_version(name) for name in LIBRARIES}


@cache
def code_revision() -> str:
    """The git revision of the checkout (with a source hash when the prediction package has
    uncommitted changes), else the package version with that hash (an installed copy)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + source.read_bytes())
    sources = digest.hexdigest()[:12]
    try:
        head = _git(package, "rev-parse", "HEAD")
        dirty = _git(package, "status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        try:
            return f"{package_version('kra-race-data')}+{sources}"
        except PackageNotFoundError:
            return f"unknown+{sources}"
    return f"{head[:12]}+{sources}" if dirty else head[:12]


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()


def hyper_parameters(model: RaceModel) -> dict[str, Any]:
    """The model's own `hyper_parameters` if it has them, else the plain values of its
    scikit-learn pipeline's parameters (estimator objects are covered by their own)."""
    params = getattr(model, "hyper_parameters", None)
    if not isinstance(params, dict):
        pipeline = getattr(model, "pipeline", None)
        params = pipeline.get_params(deep=True) if hasattr(pipeline, "get_params") else {}
    return {str(k): _plain(v) for k, v in sorted(params.items()) if _is_plain(v)}


def _is_plain(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN is not JSON: the REST answer could not carry it
    return value


def model_version(model: RaceModel, params: dict[str, Any], code: str, libs: dict[str, str]) -> str:
    """`<trained_until>-<12 hex>`: the date for people, the hash for identity."""
    if not model.data_hash:
        raise ValueError("the model has no data hash: train it with fingerprint=True to save it")
    recipe = {
        "data_hash": model.data_hash,
        "features": list(model.features),
        "hyper_parameters": params,
        "code_revision": code,
        "libraries": libs,
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return f"{model.trained_until}-{digest[:12]}"


def register(
    model: RaceModel,
    evaluation: list[dict[str, Any]],
    scores: pd.DataFrame,
    *,
    backtest: bool,
    cutoff: str = "",
    params: dict[str, Any] | None = None,
    root: Path | None = None,
) -> Registration:
    """Save `model` under its version (reusing an identical one) with its walk-forward
    `evaluation` (summary rows) and `scores` (one row per race: SCORE_COLUMNS), then decide
    whether it is served."""
    root = root or artefact.models_dir()
    params = (
        hyper_parameters(model) if params is None else {k: _plain(v) for k, v in params.items()}
    )
    code, libs = code_revision(), library_versions()
    rows = _score_rows(scores)
    card = ModelCard(
        version=model_version(model, params, code, libs),
        features=list(model.features),
        trained_from=model.trained_from,
        trained_until=model.trained_until,
        training_races=model.training_races,
        training_rows=model.training_rows,
        data_hash=model.data_hash,
        trained_at=model.trained_at,
        evaluation=evaluation,
        path="",
        backtest=backtest,
        cutoff=cutoff,
        hyper_parameters=params,
        code_revision=code,
        libraries=libs,
        weekly=_weekly(rows),
    )
    card, created = artefact.write_version(model, card, rows, root)
    with _locked(root):
        decision = _decide(card, root)
        if decision.promoted:
            artefact.set_served(card.version, root)
        _log(decision, root)
    return Registration(card, created, decision)


def promote(version: str, reason: str = "", root: Path | None = None) -> Decision:
    """Serve `version` by hand, whatever the walk-forward comparison says (which is logged
    beside the reason)."""
    root = root or artefact.models_dir()
    card = artefact.read_card(version, root)
    if card is None:
        known = ", ".join(c.version for c in artefact.all_cards(root)) or "none yet"
        raise UnknownVersion(
            f"no race model {version!r} is saved (known: {known}); `kra model list` shows them"
        )
    if card.backtest:
        raise NeverServed(
            f"race model {version} is a backtest (cut-off {card.cutoff or '?'}, before results "
            "that were already stored): it is never served. Train race_model with the default "
            "cut-off (today) and promote that one"
        )
    with _locked(root):
        served = artefact.served_card(root)
        compared = _compare(card, served) if served and served.version != version else None
        decision = Decision(
            version=version,
            promoted=True,
            by="hand",
            reason=reason or "promoted by hand (kra model promote)",
            previous=served.version if served else None,
            candidate_log_loss=compared.candidate_log_loss if compared else None,
            served_log_loss=compared.served_log_loss if compared else None,
            common_races=compared.common_races if compared else 0,
            common_weeks=compared.common_weeks if compared else [],
        )
        artefact.set_served(version, root)
        _log(decision, root)
    return decision


def promotions(root: Path | None = None) -> list[dict[str, Any]]:
    """Every decision logged, oldest first."""
    path = (root or artefact.models_dir()) / PROMOTIONS_FILE
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def promotion_of(version: str, root: Path | None = None) -> dict[str, Any] | None:
    """The decision that last made `version` the served model (None for a home from before
    the registry, whose model is served from `latest.json`)."""
    made = [d for d in promotions(root) if d["version"] == version and d["promoted"]]
    return made[-1] if made else None


def mean_log_loss(card: ModelCard) -> float | None:
    """The card's walk-forward log-loss over every race it scored."""
    races = sum(w["races"] for w in card.weekly)
    return sum(w["races"] * w["log_loss"] for w in card.weekly) / races if races else None


def _score_rows(scores: pd.DataFrame) -> list[dict[str, Any]]:
    if scores.empty:
        return []
    frame = scores[list(SCORE_COLUMNS)].copy()
    for column in ("race_date", "week_start"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y%m%d")
    frame = frame.astype({"meet": int, "race_no": int, "log_loss": float})
    return frame.sort_values(["race_date", "meet", "race_no"]).to_dict("records")


def _weekly(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    weeks = pd.DataFrame(rows).groupby("week_start")["log_loss"].agg(["size", "mean"])
    return [
        {"week_start": str(w), "races": int(n), "log_loss": round(float(m), 6)}
        for w, n, m in weeks.itertuples()
    ]


def _decide(card: ModelCard, root: Path) -> Decision:
    served = artefact.served_card(root)
    previous = served.version if served else None
    if card.backtest:
        return Decision(
            card.version, False, "backtest",
            f"a backtest (cut-off {card.cutoff or '?'} is before results already stored): "
            "kept and listed, never served",
            previous,
        )  # fmt: skip
    if served is None:
        return Decision(card.version, True, "walk-forward", "no model was served", None)
    if served.version == card.version:
        return Decision(card.version, False, "walk-forward", "already the served model", previous)
    return _compare(card, served)


def _compare(card: ModelCard, served: ModelCard) -> Decision:
    """Both models' mean walk-forward log-loss on the races both scored."""
    mine = _by_race(card)
    theirs = _by_race(served)
    common = sorted(mine.keys() & theirs.keys())
    base = {"version": card.version, "by": "walk-forward", "previous": served.version}
    if not common:
        return Decision(
            **base,
            promoted=False,
            reason=(
                f"no race scored by both walk-forward evaluations (this one's weeks: "
                f"{_span(card)}; the served {served.version}'s: {_span(served)}): evaluate over "
                "weeks that overlap (race_model config evaluation_weeks), or promote by hand "
                f"(kra model promote {card.version} --reason ...)"
            ),
        )
    new = sum(mine[k][1] for k in common) / len(common)
    old = sum(theirs[k][1] for k in common) / len(common)
    weeks = sorted({mine[k][0] for k in common})
    figures = {
        "candidate_log_loss": round(new, 6),
        "served_log_loss": round(old, 6),
        "common_races": len(common),
        "common_weeks": weeks,
    }
    where = f"on {len(common)} races of {len(weeks)} common weeks"
    if new < old - TIE:
        return Decision(
            **base, **figures, promoted=True,
            reason=f"walk-forward log-loss {new:.4f} beats the served {old:.4f} {where}",
        )  # fmt: skip
    if abs(new - old) <= TIE and card.trained_until > served.trained_until:
        return Decision(
            **base, **figures, promoted=True,
            reason=f"walk-forward log-loss {new:.4f} ties the served {old:.4f} {where} and it "
            f"is trained on later races (to {card.trained_until})",
        )  # fmt: skip
    return Decision(
        **base, **figures, promoted=False,
        reason=f"walk-forward log-loss {new:.4f} does not beat the served {old:.4f} {where}",
    )  # fmt: skip


def _by_race(card: ModelCard) -> dict[tuple[str, int, int], tuple[str, float]]:
    return {
        (r["race_date"], r["meet"], r["race_no"]): (r["week_start"], r["log_loss"])
        for r in artefact.read_scores(card)
    }


def _span(card: ModelCard) -> str:
    if not card.weekly:
        return "none"
    return f"{card.weekly[0]['week_start']}–{card.weekly[-1]['week_start']}"


def _log(decision: Decision, root: Path) -> None:
    with (root / PROMOTIONS_FILE).open("a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(decision)) + "\n")


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One decision at a time: two trainings finishing together must not both promote."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def race_log_loss(predicted: pd.DataFrame) -> pd.DataFrame:
    """The model's log-loss of each race of a walk-forward run (SCORE_COLUMNS), what
    `register` compares between models."""
    scores = race_scores(predicted)
    scores = scores[scores["predictor"] == "model"]
    weeks = predicted[[*RACE_KEY, "week_start"]].drop_duplicates(list(RACE_KEY))
    return scores.merge(weeks, on=list(RACE_KEY))[list(SCORE_COLUMNS)]
