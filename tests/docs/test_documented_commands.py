"""Every shell command in a fenced block of the README and docs/ is run here, so an example can
never rot: each page's commands run in order in a fresh directory (the way a newcomer would,
`export` lines included), against the offline simulator, and must exit 0. A command that only
makes sense on a live stack or runs for minutes is named below with the test that runs it; a new
such command fails this test until it is named too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^[ \t]*```(?:bash|sh|shell)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
BIN = Path(sys.executable).parent

# Commands run elsewhere: (pattern, the test file that runs what the command does).
RUN_ELSEWHERE = [
    (r"^uv run pytest\b", ".ci/run"),  # the suite itself, exactly as CI runs it
    (r"^uv run kra (up|demo)\b", "tests/api/test_e2e_stack.py"),  # a whole stack, serving
    (r"^curl .*/api/v2/collection/backfill$", "tests/api/test_e2e_stack.py"),
    # The market history launch needs a stack; its estimate, refusals and resume are tested.
    (r"^uv run kra backfill --market( --spread)?$", "tests/api/test_market_backfill.py"),
    # Training needs finished races in the store: the prediction tests collect them first.
    (r"--select race_model$", "tests/defs/prediction/test_prediction_assets.py"),
]


def documented_commands(page: Path) -> list[str]:
    """The page's fenced shell commands: continuation lines joined, comments dropped."""
    commands = []
    for block in FENCE.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            command = _without_comment(line).strip()
            if command:
                commands.append(command)
    return commands


def _without_comment(line: str) -> str:
    """The line up to a `#` that starts a shell comment (the docs quote no `#`)."""
    return re.sub(r"(^|\s)#.*$", "", line)


def elsewhere(command: str) -> str | None:
    for pattern, test in RUN_ELSEWHERE:
        if re.search(pattern, command):
            return test
    return None


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(REPO).as_posix())
def test_every_documented_command_works(
    page: Path, kra_simulator: SimulatorServer, tmp_path: Path
) -> None:
    newcomer = tmp_path / "clone"
    newcomer.mkdir()
    home = newcomer / ".kra"
    (home / "dagster").mkdir(parents=True)  # what `kra up` leaves behind for the dagster CLI
    shutil.copy(REPO / "dagster.yaml", home / "dagster" / "dagster.yaml")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "KRA_HOME": str(home),
        "KRA_API_BASE_URL": kra_simulator.base_url,
        "KRA_API_KEY": SIMULATOR_API_KEY,
        "KRA_HISTORY_SOURCE": "day",
    }
    env.pop("DAGSTER_HOME", None)
    failures = []
    for command in documented_commands(page):
        if (test := elsewhere(command)) is not None:
            assert (REPO / test).exists(), f"{command!r} is said to be run by {test}, gone"
            continue
        # `uv run X` is X from this environment: the same code, without a second install.
        script = re.sub(r"(^|;|&&)\s*uv run ", r"\1 ", command)
        saved = tmp_path / "environment"
        done = subprocess.run(
            ["bash", "-c", f'set -e\n{script}\nenv -0 > "{saved}"'],
            cwd=newcomer,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if done.returncode != 0:
            failures.append(f"{command!r} exited {done.returncode}: {done.stderr[-1500:]}")
            continue
        if command.startswith("export "):  # later commands of the page see it, as in a shell
            items = saved.read_text().split("\0")
            env = dict(item.split("=", 1) for item in items if "=" in item)
    assert not failures, "\n\n".join(failures)


def test_the_commands_are_found() -> None:
    """The parser sees the README's two commands, so the test above cannot pass on nothing."""
    readme = documented_commands(REPO / "README.md")
    assert readme[:2] == ["uv run kra demo", "uv run pytest"]
    assert all("#" not in command for command in readme)
