"""How `kra up` waits for its children: for as long as they live and the stack makes progress.

A fixed limit (180 s) failed on a busy 2-core machine, where importing Dagster alone took
minutes. So the wait ends when the stack is ready; when the user's hard limit passes
(`--ready-timeout`, KRA_READY_TIMEOUT; none by default); when nothing has changed for a long
while (a stall); or when a child keeps dying. Progress is: a child starts listening, the
readiness answer changes, or a child that has not listened yet logs or uses CPU (it is still
importing). Every few seconds it says which child is not ready and its last log line.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from pydantic import Field, PositiveFloat, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from kra_cli.child_signs import last_log_line, listening, log_size, tree_cpu_seconds
from kra_cli.ready_probe import ReadyProbe
from kra_cli.supervisor import Child, Supervisor

READY_TIMEOUT_ENV = "KRA_READY_TIMEOUT"
STALL_ENV = "KRA_READY_STALL_SECONDS"
REPORT_ENV = "KRA_READY_REPORT_SECONDS"
TICK_SECONDS = 0.25
CPU_EVERY_SECONDS = 1.0
# A child that dies this often while the stack starts is a configuration to fix, not a fault.
START_ATTEMPTS = 3


class ReadySettings(BaseSettings):
    """The limits of the wait; the option `--ready-timeout` overrides the environment."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    timeout: PositiveFloat | None = Field(None, alias=READY_TIMEOUT_ENV)
    stall_seconds: PositiveFloat = Field(600.0, alias=STALL_ENV)
    report_seconds: PositiveFloat = Field(15.0, alias=REPORT_ENV)


def ready_settings(timeout_option: float | None = None) -> ReadySettings:
    """The environment's limits, the option's hard limit first; a bad value says what to set."""
    try:
        settings = ReadySettings()
    except ValidationError as error:
        names = ", ".join(str(e["loc"][0]) for e in error.errors())
        raise click.ClickException(
            f"{names} must be a positive number of seconds; fix or unset it"
        ) from None
    if timeout_option is not None:
        settings.timeout = timeout_option
    return settings


@dataclass
class Awaited:
    """One child as the wait sees it: what tells that it is up, and what was seen of it."""

    name: str
    port: int | None = None  # up once it accepts connections here
    check: str | None = None  # up once this /health/ready check is healthy
    decides: bool = False  # the REST API: up once /health/ready answers 200
    listened: bool = False
    log_bytes: int = 0
    cpu: float = 0.0


def exit_report(child: Child) -> str:
    """Why a child died, with its last lines; a taken port gets the option that moves it."""
    tail = child.log_tail()
    hint = ""
    if "address already in use" in tail.lower():
        hint = (
            " because its port is taken; choose another with --api-port/--dagster-port/--code-port"
        )
    return f"{child.name} exited with code {child.exit_code}{hint}. Its last lines:\n{tail}"


@dataclass
class StartupWait:
    """Waits on the supervisor's children; one per start, shared by its stages."""

    supervisor: Supervisor
    settings: ReadySettings
    say: Callable[[str], None]
    started: float = field(default_factory=time.monotonic)
    deaths: Counter[str] = field(default_factory=Counter)

    def until(self, awaited: list[Awaited], probe: ReadyProbe | None = None) -> None:
        """Return once every awaited child is up (with a probe: once it answers ready)."""
        now = time.monotonic()
        last_progress, next_report, next_cpu = now, now + self.settings.report_seconds, now
        last_answer = None
        while True:
            self._tend_deaths(awaited, probe)
            progressed = self._look(awaited, probe)
            if probe is not None:
                if any(a.decides and a.listened for a in awaited):
                    probe.poll()
                answer = probe.latest
                if answer is not None and answer.signature() != last_answer:
                    last_answer, progressed = answer.signature(), True
            if all(self._is_up(a, probe) for a in awaited):
                return
            now = time.monotonic()
            if now >= next_cpu:
                progressed = self._cpu_moved(awaited, probe) or progressed
                next_cpu = now + CPU_EVERY_SECONDS
            if progressed:
                last_progress = now
            self._check_limits(awaited, probe, now, last_progress)
            if now >= next_report:
                self.say(self._report(awaited, probe, now, last_progress))
                next_report = now + self.settings.report_seconds
            time.sleep(TICK_SECONDS)

    def _tend_deaths(self, awaited: list[Awaited], probe: ReadyProbe | None) -> None:
        """Name a child that died; restart it (the supervisor says so) unless its port is
        taken or it died START_ATTEMPTS times, which no waiting mends."""
        for child in self.supervisor.dead():
            if child.restart_due is not None:
                continue  # already reported and due for a restart
            self.deaths[child.name] += 1
            report = exit_report(child)
            if "port is taken" in report:
                raise click.ClickException(report)
            if self.deaths[child.name] >= START_ATTEMPTS:
                raise click.ClickException(
                    f"{child.name} died {START_ATTEMPTS} times while the stack started; not "
                    f"restarting it again. {report}"
                )
            for entry in awaited:
                if entry.name == child.name:
                    entry.listened, entry.cpu = False, 0.0
                    if entry.decides and probe is not None:
                        probe.latest = None  # the dead process's answer tells nothing now
        self.supervisor.tend()

    def _starting(self, entry: Awaited, probe: ReadyProbe | None) -> bool:
        """Whether the child has given no sign yet: not listened (the REST API: not answered
        /health/ready; a child without a port: not up). Only then do its log and CPU count as
        progress: afterwards both grow with the waiter's own probes (the REST API logs each
        request) and the readiness answer tells how far it is."""
        if entry.decides:
            return probe is None or probe.latest is None
        return not (entry.listened if entry.port is not None else self._is_up(entry, probe))

    def _look(self, awaited: list[Awaited], probe: ReadyProbe | None) -> bool:
        """Ports that started listening, and logs of starting children that grew."""
        progressed = False
        for entry in awaited:
            if entry.port is not None and not entry.listened and listening(entry.port):
                entry.listened = progressed = True
            size = log_size(self._log(entry))
            if size > entry.log_bytes:
                progressed = progressed or self._starting(entry, probe)
                entry.log_bytes = size
        return progressed

    def _cpu_moved(self, awaited: list[Awaited], probe: ReadyProbe | None) -> bool:
        """Whether a starting child used CPU: one that is importing shows nothing else."""
        quiet = {
            child.process.pid: entry
            for entry in awaited
            if self._starting(entry, probe)
            and (child := self.supervisor.children.get(entry.name)) is not None
            and child.process is not None
        }
        moved = False
        for pid, seconds in tree_cpu_seconds(list(quiet)).items():
            if seconds > quiet[pid].cpu:
                quiet[pid].cpu, moved = seconds, True
        return moved

    def _is_up(self, entry: Awaited, probe: ReadyProbe | None) -> bool:
        if entry.port is not None and not entry.listened:
            return False
        answer = probe.latest if probe is not None else None
        if entry.decides:
            return answer is not None and answer.ready
        if entry.check is not None:
            return answer is not None and entry.check not in answer.failing()
        return True

    def _check_limits(
        self, awaited: list[Awaited], probe: ReadyProbe | None, now: float, last_progress: float
    ) -> None:
        limit = self.settings.timeout
        if limit is not None and now - self.started >= limit:
            raise click.ClickException(
                f"not ready after {limit:g}s (--ready-timeout / {READY_TIMEOUT_ENV}); "
                f"still starting: {self._waiting(awaited, probe)}. Raise the limit, or unset "
                "it to wait for as long as the processes make progress"
            )
        if now - last_progress >= self.settings.stall_seconds:
            raise click.ClickException(
                f"no progress for {self.settings.stall_seconds:g}s ({STALL_ENV}): nothing "
                "started listening, no starting process logged or used CPU, and the "
                f"readiness answer stayed the same. Stalled: {self._waiting(awaited, probe)}. "
                f"See the logs in {self._log(awaited[0]).parent}, or raise {STALL_ENV} if "
                "this machine is that slow"
            )

    def _waiting(self, awaited: list[Awaited], probe: ReadyProbe | None) -> str:
        return "; ".join(
            f"{entry.name} ({self._state(entry, awaited, probe)}; its last log line: "
            f"{last_log_line(self._log(entry))})"
            for entry in awaited
            if not self._is_up(entry, probe)
        )

    def _report(
        self, awaited: list[Awaited], probe: ReadyProbe | None, now: float, last_progress: float
    ) -> str:
        lines = [
            f"Still starting after {now - self.started:.0f}s "
            f"(last progress {now - last_progress:.0f}s ago); not ready yet:"
        ]
        for entry in awaited:
            if not self._is_up(entry, probe):
                lines.append(f"  {entry.name}: {self._state(entry, awaited, probe)}")
                lines.append(f"    log: {last_log_line(self._log(entry))}")
        return "\n".join(lines)

    def _state(self, entry: Awaited, awaited: list[Awaited], probe: ReadyProbe | None) -> str:
        """What this child is waiting for, in a few words."""
        if entry.port is not None and not entry.listened:
            return f"not listening on port {entry.port} yet"
        answer = probe.latest if probe is not None else None
        waited = probe.in_flight_for() if probe is not None else None
        if entry.decides:
            if answer is None:
                if waited is not None:
                    return f"listening; its first /health/ready answer is {waited:.0f}s coming"
                return "listening; /health/ready not answered yet"
            others = {a.check for a in awaited if a.check}
            own = {k: v for k, v in answer.failing().items() if k not in others}
            if own:
                return "; ".join(f"{name}: {error}" for name, error in own.items())
            return f"/health/ready {answer.status_code}: waiting for the processes above"
        if entry.check is not None:
            if answer is None:
                return "waiting for the REST API to report it"
            return f"{entry.check}: {answer.failing().get(entry.check, 'healthy')}"
        return "starting"

    def _log(self, entry: Awaited) -> Path:
        return self.supervisor.children[entry.name].log_file
