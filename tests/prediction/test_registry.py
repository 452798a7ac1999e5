"""The registry never rewrites a version, never serves a backtest, and replaces the served
model only with one that scores better on the same races, logging every decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kra_pipeline.prediction import artefact, registry
from tests.prediction.registry_history import Trained, trained_before_cutoff


@pytest.fixture(scope="module")
def trained(history_file: Path) -> Trained:
    return trained_before_cutoff(history_file)


def _stat(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def _register(trained: Trained, **kwargs) -> registry.Registration:
    options = {"backtest": False, "scores": trained.scores, **kwargs}
    return registry.register(trained.model, trained.evaluation, **options)


def test_same_data_and_code_give_the_same_version_and_leave_its_files_alone(
    trained: Trained,
) -> None:
    first = _register(trained)
    assert first.created and first.decision.promoted
    files = _stat(Path(first.card.path))
    assert set(files) == {"model.joblib", "model.json", "scores.json"}

    again = _register(trained)
    assert again.card.version == first.card.version and not again.created
    assert _stat(Path(first.card.path)) == files  # same inodes, same mtimes: nothing rewritten
    assert artefact.served_card().version == first.card.version
    assert artefact.load(again.card).features == trained.model.features


def test_a_changed_hyper_parameter_is_a_new_version_beside_the_old(trained: Trained) -> None:
    old = _register(trained)
    files = _stat(Path(old.card.path))
    params = {**registry.hyper_parameters(trained.model), "logisticregression__C": 0.5}
    new = _register(trained, params=params)
    assert new.created and new.card.version != old.card.version
    assert new.card.hyper_parameters["logisticregression__C"] == 0.5
    assert _stat(Path(old.card.path)) == files
    assert {c.version for c in artefact.all_cards()} == {old.card.version, new.card.version}


def test_a_backtest_is_saved_and_listed_but_never_served(trained: Trained) -> None:
    backtest = _register(trained, backtest=True, cutoff="20250301")
    assert backtest.created and not backtest.decision.promoted
    assert backtest.decision.by == "backtest"
    assert artefact.served_card() is None
    assert [c.version for c in artefact.all_cards()] == [backtest.card.version]
    with pytest.raises(registry.NeverServed, match="never served"):
        registry.promote(backtest.card.version)
    assert artefact.served_card() is None


def test_a_worse_model_is_refused_with_both_figures_and_a_better_one_promoted(
    trained: Trained,
) -> None:
    served = _register(trained)
    params = {**registry.hyper_parameters(trained.model), "logisticregression__C": 0.25}
    worse = _register(trained, params=params, scores=trained.uniform)
    assert not worse.decision.promoted
    assert artefact.served_card().version == served.card.version
    refusal = registry.promotions()[-1]
    assert refusal["version"] == worse.card.version and refusal["promoted"] is False
    assert refusal["previous"] == served.card.version
    assert refusal["common_races"] == len(trained.scores)
    assert refusal["candidate_log_loss"] > refusal["served_log_loss"]
    assert f"{refusal['candidate_log_loss']:.4f}" in refusal["reason"]
    assert f"{refusal['served_log_loss']:.4f}" in refusal["reason"]

    # The uniform guess served, the model beats it on the same races and replaces it.
    registry.promote(worse.card.version, reason="test: serve the uniform guess")
    better = _register(trained)
    assert better.decision.promoted and artefact.served_card().version == served.card.version
    assert registry.promotion_of(served.card.version)["served_log_loss"] == pytest.approx(
        refusal["candidate_log_loss"]
    )


def test_a_home_from_before_the_registry_serves_its_latest_model(trained: Trained) -> None:
    saved = _register(trained, backtest=True)  # on disk, not served
    (artefact.models_dir() / "latest.json").write_text(json.dumps({"version": saved.card.version}))
    assert artefact.served_card().version == saved.card.version
