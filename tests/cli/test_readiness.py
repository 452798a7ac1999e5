"""`kra up` waits for its children while they live and make progress, and says what it waits for.

Real child processes, with the limits shrunk to seconds: each test's child is slower than the
stall limit in force (the equivalent of the old fixed 180 s), or never comes up at all.
"""

from __future__ import annotations

import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from kra_cli.readiness import Awaited, ReadySettings, StartupWait, ready_settings
from kra_cli.ready_probe import ReadyProbe
from kra_cli.slow_start import STARTUP_DELAY_ENV
from kra_cli.supervisor import Supervisor

LISTEN = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); "
LISTEN += "time.sleep(120)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(**limits: float) -> ReadySettings:
    return ReadySettings(**{"stall_seconds": 60.0, "report_seconds": 0.5, **limits})


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def supervisor(tmp_path: Path, said: list[str]) -> Iterator[Supervisor]:
    env = {"PATH": "/usr/bin:/bin", STARTUP_DELAY_ENV: "4"}
    running = Supervisor(env, tmp_path, tmp_path / "processes.json", said.append)
    yield running
    running.stop()


def _slow(command: list[str]) -> list[str]:
    """The command behind the start-up delay hook (4 s, see the supervisor's environment)."""
    return [sys.executable, "-m", "kra_cli.slow_start", *command]


def test_a_child_slower_than_the_stall_limit_is_waited_for_while_it_works(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    """4 s of a starved start (silent, a little CPU), then it listens: a 2 s stall limit
    does not end the wait, and the progress lines name the child and its log."""
    port = _free_port()
    listen = [sys.executable, "-c", LISTEN.format(port=port)]
    supervisor.start("slowpoke", _slow(listen), tmp_path / "slowpoke.log")
    wait = StartupWait(supervisor, _settings(stall_seconds=2.0), said.append)

    wait.until([Awaited("slowpoke", port=port)])

    reports = [line for line in said if line.startswith("Still starting after")]
    assert reports, said
    assert f"slowpoke: not listening on port {port} yet" in reports[0]
    assert "log: (nothing logged yet)" in reports[0]


def test_a_silent_idle_child_is_a_stall_named_with_its_last_log_line(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    idle = "print('waiting for a lock that never frees', flush=True); import time; time.sleep(120)"
    supervisor.start("stuck", [sys.executable, "-c", idle], tmp_path / "stuck.log")
    wait = StartupWait(supervisor, _settings(stall_seconds=1.5), said.append)

    with pytest.raises(click.ClickException) as failure:
        wait.until([Awaited("stuck", port=_free_port())])

    message = failure.value.message
    assert message.startswith("no progress for 1.5s (KRA_READY_STALL_SECONDS)")
    assert "Stalled: stuck (not listening on port" in message
    assert "waiting for a lock that never frees" in message
    assert "raise KRA_READY_STALL_SECONDS" in message


def test_the_hard_limit_ends_the_wait_naming_the_slow_child(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    port = _free_port()
    listen = [sys.executable, "-c", LISTEN.format(port=port)]
    supervisor.start("slowpoke", _slow(listen), tmp_path / "slowpoke.log")
    wait = StartupWait(supervisor, _settings(timeout=1.0), said.append)

    with pytest.raises(click.ClickException) as failure:
        wait.until([Awaited("slowpoke", port=port)])

    message = failure.value.message
    assert message.startswith("not ready after 1s (--ready-timeout / KRA_READY_TIMEOUT)")
    assert f"slowpoke (not listening on port {port} yet" in message
    assert "unset it to wait for as long as the processes make progress" in message


def test_a_child_that_dies_at_start_is_restarted_and_said_so(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    port = _free_port()
    marker = tmp_path / "tried-once"
    script = textwrap.dedent(f"""
        import pathlib
        marker = pathlib.Path({str(marker)!r})
        if not marker.exists():
            marker.touch()
            raise SystemExit("cannot open the store yet")
        {LISTEN.format(port=port)}
    """)
    supervisor.start("flaky", [sys.executable, "-c", script], tmp_path / "flaky.log")
    StartupWait(supervisor, _settings(), said.append).until([Awaited("flaky", port=port)])

    restarts = [line for line in said if line.startswith("flaky exited with code 1")]
    assert restarts and "restarting it in 1s" in restarts[0], said
    assert "cannot open the store yet" in restarts[0]
    assert any(line.startswith("flaky restarted (pid ") for line in said)


def test_a_child_that_keeps_dying_ends_the_start_with_its_last_lines(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    dies = [sys.executable, "-c", "raise SystemExit('KRA_DATABASE_URL is not a URL')"]
    supervisor.start("doomed", dies, tmp_path / "doomed.log")
    wait = StartupWait(supervisor, _settings(), said.append)

    with pytest.raises(click.ClickException) as failure:
        wait.until([Awaited("doomed", port=_free_port())])

    message = failure.value.message
    assert message.startswith("doomed died 3 times while the stack started; not restarting")
    assert "KRA_DATABASE_URL is not a URL" in message


def test_a_taken_port_ends_the_start_at_once_with_the_option_that_moves_it(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bind = [sys.executable, "-c", LISTEN.format(port=port)]
        supervisor.start("api", bind, tmp_path / "api.log")
        wait = StartupWait(supervisor, _settings(), said.append)
        with pytest.raises(click.ClickException) as failure:
            wait.until([Awaited("api", port=_free_port())])
    assert "api exited with code 1 because its port is taken" in failure.value.message
    assert "--api-port/--dagster-port/--code-port" in failure.value.message
    assert not any("restarting" in line for line in said)


READINESS_SERVER = """
import http.server, json, time
began = time.monotonic()
class Ready(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # silent: only the answers may show progress
        pass
    def do_GET(self):
        step = int(time.monotonic() - began)
        if step >= 4:
            status, checks = 200, {{"dagster_daemon": {{"status": "healthy"}}}}
        else:
            error = f"no heartbeat yet, step {{step}}"
            status, checks = 503, {{"dagster_daemon": {{"status": "unhealthy", "error": error}}}}
        body = json.dumps({{"checks": checks, "timestamp": time.time()}}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", {port}), Ready).serve_forever()
"""


def test_a_changing_readiness_answer_is_progress_and_names_what_is_not_up(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    """The API listens at once and then only its answer changes, every second for 4 s: a
    stall limit of 3 s does not end the wait; the daemon line quotes its check."""
    port = _free_port()
    serve = [sys.executable, "-c", READINESS_SERVER.format(port=port)]
    supervisor.start("api", serve, tmp_path / "api.log")
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    supervisor.start("daemon", sleeper, tmp_path / "daemon.log")
    awaited = [Awaited("daemon", check="dagster_daemon"), Awaited("api", port=port, decides=True)]
    wait = StartupWait(supervisor, _settings(stall_seconds=3.0, report_seconds=1.0), said.append)

    wait.until(awaited, ReadyProbe(f"http://127.0.0.1:{port}/health/ready"))

    assert any("daemon: dagster_daemon: no heartbeat yet, step" in line for line in said), said


def test_a_bad_limit_in_the_environment_says_which_and_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KRA_READY_TIMEOUT", "soon")
    with pytest.raises(click.ClickException) as failure:
        ready_settings()
    assert failure.value.message == (
        "KRA_READY_TIMEOUT must be a positive number of seconds; fix or unset it"
    )
    monkeypatch.setenv("KRA_READY_TIMEOUT", "30")
    assert ready_settings().timeout == 30.0
    assert ready_settings(5.0).timeout == 5.0  # the option wins over the environment


NEVER_READY_SERVER = """
import http.server, json
class NotReady(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # each request is logged to stderr, as the REST API logs each request
        body = json.dumps({{"checks": {{"race_store": {{"status": "unhealthy",
                                                      "error": "database is locked"}}}}}})
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
http.server.HTTPServer(("127.0.0.1", {port}), NotReady).serve_forever()
"""


def test_an_api_whose_log_grows_only_with_the_probes_is_a_stall(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    """Once the API listens, its own request log is no progress: the same 503 for 2 s is a
    stall, named with its failing check."""
    port = _free_port()
    serve = [sys.executable, "-c", NEVER_READY_SERVER.format(port=port)]
    supervisor.start("api", serve, tmp_path / "api.log")
    wait = StartupWait(supervisor, _settings(stall_seconds=2.0), said.append)

    with pytest.raises(click.ClickException) as failure:
        wait.until(
            [Awaited("api", port=port, decides=True)],
            ReadyProbe(f"http://127.0.0.1:{port}/health/ready"),
        )

    assert (
        "Stalled: api (race_store: database is locked; its last log line:" in failure.value.message
    )
    assert '"GET /health/ready HTTP/1.1" 503' in failure.value.message
