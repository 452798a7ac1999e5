"""Run tags carry an HMAC of the key with a secret of the state directory, not a plain hash."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kra_api import caller_secret
from kra_api.auth import key_fingerprint
from tests.api.conftest import HEADERS_A, KEY_A, RunMaker


def _fingerprint_in(home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KRA_HOME", str(home))
    return key_fingerprint(KEY_A)


def test_a_keys_fingerprint_differs_between_state_directories_and_is_stable_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    one = _fingerprint_in(first, monkeypatch)
    two = _fingerprint_in(second, monkeypatch)
    assert one != two
    caller_secret._cache.clear()  # as a new process would: read back from the file
    assert _fingerprint_in(first, monkeypatch) == one
    # the plain, guessable hash of the key is not what the tag shows
    plain = hashlib.sha256(f"kra-api-caller:{KEY_A}".encode()).hexdigest()[:16]
    assert plain not in (one, two)


def test_the_secret_is_made_on_first_start_readable_by_its_owner_only(
    make_client: Callable[..., TestClient], isolated_kra_home: Path
) -> None:
    path = isolated_kra_home / caller_secret.SECRET_FILE
    assert not path.exists()
    make_client()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) >= caller_secret.SECRET_BYTES


def test_runs_launched_with_the_new_fingerprint_are_listed_to_their_key(
    client: TestClient, add_run: RunMaker
) -> None:
    run_id = add_run()
    listed = client.get("/api/v2/jobs/", headers=HEADERS_A).json()
    assert [job["job_id"] for job in listed["jobs"]] == [run_id]
