"""The secret that salts key fingerprints, kept in the state directory (KRA_HOME).

Runs carry their caller's fingerprint as a tag the Dagster UI shows without authentication.
A plain hash of the key could be checked offline against guessed keys; an HMAC with a secret
nobody outside the state directory can read cannot. The secret is made on first use with
owner-only permissions and is never logged; every process sharing KRA_HOME (the REST API's
workers, `kra keys`) reads the same file, so they agree on fingerprints.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from kra_pipeline.paths import kra_home

SECRET_FILE = "api-fingerprint.secret"  # noqa: S105 - a file name, not a secret
SECRET_BYTES = 32
OWNER_ONLY = 0o600

_cache: dict[Path, bytes] = {}
_lock = threading.Lock()


class SecretUnreadable(RuntimeError):
    """The secret file exists but cannot be used; the message says which file and why."""


def secret_path(home: Path | None = None) -> Path:
    return (home or kra_home()) / SECRET_FILE


def fingerprint_secret(home: Path | None = None) -> bytes:
    """The state directory's secret, created (0600) on first use; cached per directory."""
    path = secret_path(home)
    with _lock:
        known = _cache.get(path)
        if known is None:
            known = _cache[path] = _read_or_create(path)
    return known


def _read_or_create(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        pass  # another process (or an earlier start) made it: read theirs
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(SECRET_BYTES))
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise SecretUnreadable(
            f"cannot read the fingerprint secret {path} ({error.strerror}): give this user "
            "read access, or move it away to make a new one (runs launched before then are "
            "then listed under their old fingerprint only)"
        ) from error
    if len(text) < SECRET_BYTES:
        raise SecretUnreadable(
            f"the fingerprint secret {path} is empty or truncated: delete it to make a new one "
            "(runs launched before then keep their old fingerprint)"
        )
    return text.encode()
