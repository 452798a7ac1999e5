"""`SimulatorServer`: the simulated KRA service on a loopback port, in a background thread.

Used as a context manager by tests, benchmarks and `kra simulator`; the base URL it reports
replaces `https://apis.data.go.kr/B551015` in `KRA_API_BASE_URL`.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from kra_simulator.app import SimulatorApp
from kra_simulator.config import SIMULATOR_API_KEY, SimulatorConfig
from kra_simulator.traffic import SimulatorStats
from kra_simulator.world import SimulatedWorld

__all__ = ["SIMULATOR_API_KEY", "SimulatorConfig", "SimulatorServer"]

STARTUP_TIMEOUT_SECONDS = 15.0


class SimulatorServer:
    """A running simulator: `.base_url`, `.stats`, `.world`; stop it with `stop()` or `with`."""

    def __init__(
        self, config: SimulatorConfig | None = None, world: SimulatedWorld | None = None
    ) -> None:
        self.config = config or SimulatorConfig()
        self.app = SimulatorApp(self.config, world)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def world(self) -> SimulatedWorld:
        return self.app.world

    @property
    def stats(self) -> SimulatorStats:
        return self.app.stats

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator is not running: call start() or use `with`")
        return self._port

    @property
    def base_url(self) -> str:
        host = self.config.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def reset_stats(self) -> None:
        """Zero the counters and the quota window (same as POST /_simulator/reset)."""
        self.app.reset()

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError as error:
            sock.close()
            raise OSError(
                f"cannot listen on {self.config.host}:{self.config.port} ({error.strerror}); "
                "choose another port, or port 0 for any free one"
            ) from error
        return sock

    def start(self) -> SimulatorServer:
        """Bind, serve in a daemon thread and return once the server accepts requests."""
        if self._thread is not None:
            return self
        sock = self._bind()
        self._port = sock.getsockname()[1]
        uv_config = uvicorn.Config(
            self.app.asgi, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"kra-simulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the KRA simulator did not start on port {self._port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish open requests and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
