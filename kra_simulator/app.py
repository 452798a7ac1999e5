"""The simulator's ASGI app: KRA's paths, key check, quota, faults, and the control routes.

A data request goes: count it → check `serviceKey` (gateway error 30) → quota (error 22 or
HTTP 429) → maybe a fault → the answer, JSON with `_type=json`, XML otherwise.
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kra_simulator import wire
from kra_simulator.config import SimulatorConfig
from kra_simulator.endpoints import ENDPOINTS, Endpoint
from kra_simulator.traffic import (
    DailyQuota,
    FaultPlan,
    QuotaGate,
    SimulatorStats,
    retry_after_header,
)
from kra_simulator.world import SimulatedWorld

SERVER_ERROR_STATUSES = (500, 502, 503, 504)
TRANSIENT_GATEWAY_CODES = ("01", "99")


def _gateway(code: str) -> Response:
    return Response(wire.gateway_error(code), media_type=wire.GATEWAY_MEDIA_TYPE)


def _positive_int(text: str | None, default: int) -> int | None:
    """A paging parameter; None when it is not a positive integer."""
    if text is None or not text.strip():
        return default
    return int(text) if text.strip().isdigit() and int(text) > 0 else None


class SimulatorApp:
    """Holds the world and the traffic state a running simulator shares across requests."""

    def __init__(self, config: SimulatorConfig, world: SimulatedWorld | None = None) -> None:
        self.config = config
        self.world = world or SimulatedWorld(config.seed, config.today)
        self.stats = SimulatorStats(config.quota_window_seconds)
        self.quota = QuotaGate(config.quota_per_window, config.quota_window_seconds)
        self.daily = DailyQuota(config.daily_quota)
        self.faults = FaultPlan(config.fault_rate, config.fault_kinds, config.fault_seed)
        self.asgi = Starlette(
            routes=[
                Route("/_simulator/stats", self._stats, methods=["GET"]),
                Route("/_simulator/reset", self._reset, methods=["POST"]),
                Route("/_simulator/health", self._health, methods=["GET"]),
                Route("/B551015/{api}/{operation}", self._data, methods=["GET"]),
                Route("/{api}/{operation}", self._data, methods=["GET"]),
            ]
        )

    def reset(self) -> None:
        """Forget counted calls and the quota window, e.g. between benchmark scenarios."""
        self.stats.reset()
        self.quota.reset()
        self.daily.reset()

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(self.stats.as_dict())

    async def _reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"reset": True})

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "seed": self.world.seed, "today": self.world.today})

    async def _data(self, request: Request) -> Response:
        endpoint = ENDPOINTS.get(request.path_params["api"])
        if (
            endpoint is None
            or endpoint.operation != request.path_params["operation"]
            or endpoint.api in self.config.unserved_apis
        ):
            return _gateway("12")
        self.stats.record_call(endpoint.api)
        params = request.query_params
        key = params.get("serviceKey") or params.get("ServiceKey")
        if key not in self.config.api_keys:
            self.stats.record_key_rejection()
            return _gateway("30")
        if endpoint.api in self.config.refused_apis:
            return _gateway("20")
        if not self.daily.admit(endpoint.api):
            self.stats.record_quota_violation()
            return _gateway("22")
        wait = self.quota.admit()
        if wait is not None:
            self.stats.record_quota_violation()
            mode = self.config.quota_mode
            if mode == "mixed":
                mode = self.faults.choose(("22", "429"))
            if mode == "429":
                headers = {"Retry-After": retry_after_header(wait)}
                return Response("Too Many Requests", 429, headers, media_type="text/plain")
            return _gateway("22")
        fault = self.faults.draw()
        if fault is not None:
            self.stats.record_fault(fault)
        if fault == "server_error":
            status = self.faults.choose(SERVER_ERROR_STATUSES)
            return Response("Unexpected errors", status, media_type="text/plain")
        if fault == "gateway_error":
            return _gateway(self.faults.choose(TRANSIENT_GATEWAY_CODES))
        if fault == "slow":
            await asyncio.sleep(self.config.slow_seconds)
        as_json = params.get("_type", "").lower() == "json"
        body, normal = await run_in_threadpool(self._render, endpoint, dict(params), as_json)
        media_type = wire.JSON_MEDIA_TYPE if as_json else wire.XML_MEDIA_TYPE
        if fault == "truncated":
            return Response(body[: len(body) // 2], media_type=media_type)
        if normal:
            self.stats.record_answer(endpoint.api)
        return Response(body, media_type=media_type)

    def _render(
        self, endpoint: Endpoint, params: dict[str, str], as_json: bool
    ) -> tuple[bytes, bool]:
        """The answer body and whether it is a normal (resultCode 00) answer."""
        page_no = _positive_int(params.get("pageNo"), 1)
        num_rows = _positive_int(params.get("numOfRows"), 10)
        if page_no is None or num_rows is None:
            return wire.service_error("10", as_json), False
        known = {k: v for k, v in params.items() if k not in self.config.ignored_params}
        page = wire.Page(endpoint.select(self.world, known), page_no, num_rows)
        return (wire.json_answer(page) if as_json else wire.xml_answer(page)), True
