"""`kra model list` shows the saved models; `kra model promote` serves one and logs it, and an
unknown version is answered with the known ones."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kra_cli.main import main
from kra_pipeline.prediction import artefact, registry
from tests.prediction.registry_history import trained_before_cutoff


def test_list_then_promote_by_hand(history_file: Path) -> None:
    trained = trained_before_cutoff(history_file)
    first = registry.register(trained.model, [], trained.scores, backtest=False).card
    params = {**registry.hyper_parameters(trained.model), "logisticregression__C": 0.25}
    worse = registry.register(trained.model, [], trained.uniform, backtest=False, params=params)
    assert not worse.decision.promoted
    runner = CliRunner()
    listed = runner.invoke(main, ["model", "list"])
    assert listed.exit_code == 0, listed.output
    assert first.version in listed.output and worse.card.version in listed.output

    done = runner.invoke(main, ["model", "promote", worse.card.version, "--reason", "drill"])
    assert done.exit_code == 0, done.output
    assert artefact.served_version() == worse.card.version
    record = registry.promotions()[-1]
    assert record["by"] == "hand" and record["reason"] == "drill"
    assert record["previous"] == first.version and record["served_log_loss"] is not None

    unknown = runner.invoke(main, ["model", "promote", "nope"])
    assert unknown.exit_code != 0
    assert first.version in unknown.output and "kra model list" in unknown.output
