"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from fastapi import Request

from kra_api.gateway import DagsterGateway
from kra_api.services.launcher import CollectionLauncher
from kra_api.settings import ApiSettings


def get_gateway(request: Request) -> DagsterGateway:
    return request.app.state.gateway


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_launcher(request: Request) -> CollectionLauncher:
    return request.app.state.launcher
