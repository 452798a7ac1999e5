"""`python -m kra_cli.guarded_webserver <dagster-webserver options>`: the Dagster webserver,
its app wrapped in WebserverGuard (see there why). `kra up` starts the webserver this way."""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn

from kra_cli.webserver_guard import ALLOWED_HOSTS_ENV, WebserverGuard, allowed_hosts


def _port(argv: list[str]) -> int:
    for flag in ("-p", "--port"):
        if flag in argv:
            return int(argv[argv.index(flag) + 1])
    raise SystemExit("kra_cli.guarded_webserver needs -p/--port: the guard checks Host against it")


def main() -> None:
    hosts = allowed_hosts(_port(sys.argv), os.environ.get(ALLOWED_HOSTS_ENV))
    serve = uvicorn.run

    def guarded(app: Any, **options: Any) -> None:
        serve(WebserverGuard(app, hosts), **options)

    # dagster-webserver builds its app and hands it to uvicorn.run: wrap it there.
    uvicorn.run = guarded  # type: ignore[assignment]
    from dagster_webserver.cli import main as webserver_main

    webserver_main()


if __name__ == "__main__":
    main()
