"""Property-based fuzz of the OpenAPI schema, in process: no input may produce a 5xx."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import schemathesis
from dagster import DagsterInstance, instance_for_test
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kra_api.app import create_app
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings
from tests.api.conftest import KEY_A, NO_WEBSERVER

READ_ONLY_KEY = "reader-key-00000000003"
# A read-and-write key and a read-only one: the fuzz runs as each (a 403 is an answer, a 5xx not).
SCOPED_KEYS = json.dumps(
    [{"key": KEY_A, "name": "operator"}, {"key": READ_ONLY_KEY, "scopes": ["read"], "name": "dash"}]
)


def _app():  # type: ignore[no-untyped-def]
    """The app over an in-memory instance: the schema is built at import, before any fixture,
    and an ephemeral instance needs no closing."""
    return create_app(
        ApiSettings(VALID_API_KEYS=SCOPED_KEYS, COLLECTION_SYNC_WAIT_SECONDS=0),
        DagsterGateway(NO_WEBSERVER, instance=DagsterInstance.ephemeral()),
        configure_logs=False,
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.slow
def test_no_input_breaks_the_server(case: schemathesis.Case) -> None:
    for key in (KEY_A, READ_ONLY_KEY):
        response = case.call(headers={"X-API-Key": key})
        assert response.status_code < 500 or response.status_code in (502, 503), response.text
        if key == READ_ONLY_KEY and case.method.upper() == "POST" and response.status_code == 403:
            assert response.json()["detail"] == "Insufficient permissions"


# Values that broke or nearly broke the API before: integers past 64 bits (SQLite overflows),
# and digits of other scripts (full-width, Arabic-Indic…), which `\d` and int() accept.
EXTREME_INTS = st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**30, -1, 0])
UNICODE_DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=10).filter(
    lambda text: not text.isascii()
)
HOSTILE = st.one_of(EXTREME_INTS, EXTREME_INTS.map(str), UNICODE_DIGITS, st.booleans())
EXTREME_VALUES = [
    *(
        value
        for number in (2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**30)
        for value in (number, str(number))
    ),
    "２０２５０６２２",  # full-width
    "٢٠٢٥٠٦٢٢",  # Arabic-Indic
    "२०२५०६२२",  # Devanagari
    "²",
    True,
]


def _operations() -> list[tuple[str, str, list[dict], list[str]]]:
    """(method, path, parameters, JSON body properties) of every operation of the schema."""
    spec = _app().openapi()
    components = spec.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            properties: list[str] = []
            if body is not None:
                ref = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
                properties = sorted(components.get(ref, {}).get("properties", {}))
            operations.append((method, path, operation.get("parameters", []), properties))
    return operations


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    """The app over a SQLite instance on disk, as deployed: SQLite is where 64-bit overflows
    bite (the in-memory instance of the schema fuzz has no such limit)."""
    with instance_for_test() as instance:
        app = create_app(
            ApiSettings(VALID_API_KEYS=SCOPED_KEYS, COLLECTION_SYNC_WAIT_SECONDS=0),
            DagsterGateway(NO_WEBSERVER, instance=instance),
            configure_logs=False,
        )
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client


@pytest.mark.parametrize(("method", "path", "parameters", "properties"), _operations())
@given(data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_extreme_integers_and_unicode_digits_never_break_the_server(
    fuzz_client: TestClient,
    method: str,
    path: str,
    parameters: list[dict],
    properties: list[str],
    data: st.DataObject,
) -> None:
    url, query = path, {}
    for parameter in parameters:
        # Optional ones may be left out, so one hostile value can reach the handler alone.
        choice = HOSTILE if parameter.get("required") else st.one_of(st.none(), HOSTILE)
        value = data.draw(choice, label=parameter["name"])
        if value is None:
            continue
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", str(value))
        elif parameter["in"] == "query":
            query[parameter["name"]] = str(value)
    body = {
        name: data.draw(st.one_of(HOSTILE, st.lists(HOSTILE, max_size=3))) for name in properties
    }
    response = fuzz_client.request(
        method, url, params=query, json=body if properties else None, headers={"X-API-Key": KEY_A}
    )
    assert response.status_code < 500 or response.status_code in (502, 503), response.text


def _fields(operations: list[tuple[str, str, list[dict], list[str]]]) -> list[tuple[str, str, str]]:
    """(method, path, query or path parameter) of every operation."""
    return [
        (method, path, parameter["name"])
        for method, path, parameters, _ in operations
        for parameter in parameters
        if parameter["in"] in ("query", "path")
    ]


@pytest.mark.parametrize(("method", "path", "name"), _fields(_operations()))
def test_each_extreme_value_alone_never_breaks_the_server(
    fuzz_client: TestClient, method: str, path: str, name: str
) -> None:
    """One parameter hostile, the others left out: the value reaches the handler alone (a
    bad neighbour would stop it at validation and hide the fault)."""
    for value in EXTREME_VALUES:
        placeholder = "{" + name + "}"
        url = path.replace(placeholder, str(value)) if placeholder in path else path
        query = {} if placeholder in path else {name: str(value)}
        url = re.sub(r"\{[^}]+\}", "job-0", url)  # other path parameters: a plain id
        response = fuzz_client.request(method, url, params=query, headers={"X-API-Key": KEY_A})
        assert response.status_code < 500 or response.status_code in (502, 503), (
            name,
            value,
            response.text,
        )
