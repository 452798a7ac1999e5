"""`SimulatorConfig`: what a simulator run looks like (world, keys, quota, faults)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kra_simulator.traffic import DEFAULT_FAULT_KINDS, FAULT_KINDS, QUOTA_MODES
from kra_simulator.world import DEFAULT_SEED

# Not a secret: the one key the simulator accepts unless told otherwise.
SIMULATOR_API_KEY = "kra-simulator-key"


@dataclass(frozen=True)
class SimulatorConfig:
    """Settings of one simulator; invalid values fail at construction with what to change.

    `quota_per_window` None means no quota. `quota_mode` picks how an over-quota request is
    refused: "22" (gateway XML, HTTP 200), "429" (HTTP 429 + Retry-After) or "mixed".
    `fault_rate` is the share of data requests that get one of `fault_kinds`.
    `ignored_params` are query parameters the simulator pretends not to know (KRA answers
    unfiltered then), e.g. {"act_gubun"} to check code that must survive an ignored filter.
    `refused_apis` are API ids (e.g. {"API4_3"}) the key has not been granted: KRA's gateway
    answers those with error 20 (SERVICE_ACCESS_DENIED_ERROR), as for a key never applied for.
    `unserved_apis` are API ids the gateway answers with error 12 (NO_OPENAPI_SERVICE_ERROR), as
    it answers a path it does not serve, e.g. {"API28_1"} for a service KRA has withdrawn.
    `daily_quota` is KRA's daily limit: calls per API per KST calendar day (None: no limit);
    past it every call of that API gets gateway error 22 until 00:00 KST.
    """

    seed: int = DEFAULT_SEED
    today: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    api_keys: frozenset[str] = field(default_factory=lambda: frozenset({SIMULATOR_API_KEY}))
    quota_per_window: int | None = None
    quota_window_seconds: float = 60.0
    quota_mode: str = "22"
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = DEFAULT_FAULT_KINDS
    slow_seconds: float = 2.0
    fault_seed: int = 0
    ignored_params: frozenset[str] = field(default_factory=frozenset)
    refused_apis: frozenset[str] = field(default_factory=frozenset)
    unserved_apis: frozenset[str] = field(default_factory=frozenset)
    daily_quota: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_keys", _string_set(self.api_keys))
        object.__setattr__(self, "fault_kinds", tuple(self.fault_kinds))
        object.__setattr__(self, "ignored_params", _string_set(self.ignored_params))
        object.__setattr__(self, "refused_apis", _string_set(self.refused_apis))
        object.__setattr__(self, "unserved_apis", _string_set(self.unserved_apis))
        problems = []
        if not self.api_keys:
            problems.append("api_keys is empty: give at least one key the simulator accepts")
        if self.quota_per_window is not None and self.quota_per_window < 1:
            problems.append("quota_per_window must be at least 1 (or None for no quota)")
        if self.daily_quota is not None and self.daily_quota < 1:
            problems.append("daily_quota must be at least 1 (or None for no daily quota)")
        if self.quota_window_seconds <= 0:
            problems.append("quota_window_seconds must be positive")
        if self.quota_mode not in QUOTA_MODES:
            problems.append(
                f"quota_mode {self.quota_mode!r} is not one of {', '.join(QUOTA_MODES)}"
            )
        if not 0.0 <= self.fault_rate <= 1.0:
            problems.append(f"fault_rate {self.fault_rate} must be between 0 and 1")
        unknown = sorted(set(self.fault_kinds) - set(FAULT_KINDS))
        if unknown:
            problems.append(f"fault_kinds {unknown} unknown; choose from {', '.join(FAULT_KINDS)}")
        if self.slow_seconds < 0:
            problems.append("slow_seconds must not be negative")
        if not 0 <= self.port <= 65535:
            problems.append(f"port {self.port} is not a TCP port (0 picks a free one)")
        if problems:
            raise ValueError("invalid simulator configuration: " + "; ".join(problems))


def _string_set(value: str | Iterable[str]) -> frozenset[str]:
    """One string, or several: a lone string is one member, not a set of its characters."""
    return frozenset([value] if isinstance(value, str) else value)
