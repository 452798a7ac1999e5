"""Property-based fuzz of the OpenAPI schema, in process: no input may produce a 5xx."""

from __future__ import annotations

import json

import pytest
import schemathesis
from dagster import DagsterInstance
from hypothesis import HealthCheck, settings

from kra_api.app import create_app
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings
from tests.api.conftest import KEY_A, NO_WEBSERVER


def _app():  # type: ignore[no-untyped-def]
    """The app over an in-memory instance: the schema is built at import, before any fixture,
    and an ephemeral instance needs no closing."""
    return create_app(
        ApiSettings(VALID_API_KEYS=json.dumps([KEY_A]), COLLECTION_SYNC_WAIT_SECONDS=0),
        DagsterGateway(NO_WEBSERVER, instance=DagsterInstance.ephemeral()),
        configure_logs=False,
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.slow
def test_no_input_breaks_the_server(case: schemathesis.Case) -> None:
    response = case.call(headers={"X-API-Key": KEY_A})
    assert response.status_code < 500 or response.status_code in (502, 503), response.text
