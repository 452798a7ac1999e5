"""KraClient: the only code that talks HTTP to the KRA open API (or its offline simulator).

Every attempt takes a token from the shared limiter first, is counted in `stats`, and is
classified by `envelope`/`errors`: configuration and request errors fail at once, quota errors
wait (Retry-After when given) and retry, transient faults retry with jittered backoff.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from kra_pipeline.contract import (
    KST,
    RACE_DATE_RE,
)
from kra_pipeline.kra.access_book import note_answer, note_refusal
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import DailyQuota, next_reset
from kra_pipeline.kra.envelope import Envelope, parse_body
from kra_pipeline.kra.errors import (
    NETWORK_CODE,
    SERVICE_NOT_GRANTED,
    TIMEOUT_CODE,
    KraConfigurationError,
    KraDailyQuotaError,
    KraError,
    KraQuotaError,
    KraRequestError,
    KraTransientError,
    error_for_http_status,
)
from kra_pipeline.kra.limiter import SharedRateLimiter
from kra_pipeline.races.models import (
    HORSE_ID_WIDTH,
    PERSON_ID_WIDTH,
    HorseDetail,
    JockeyDetail,
    TrainerDetail,
    compact_date,
    meet_code,
    normalise_id,
)

log = structlog.get_logger(__name__)

# API id (as used in stats and messages) → path under KRA_API_BASE_URL.
ENDPOINTS: dict[str, str] = {
    "API214_1": "API214_1/RaceDetailResult_1",
    "API8_2": "API8_2/raceHorseInfo_2",
    "API12_1": "API12_1/jockeyInfo_1",
    "API19_1": "API19_1/trainerInfo_1",
    "API72_2": "API72_2/racePlan_2",
    "API4_3": "API4_3/raceResult_3",
    "API160_1": "API160_1/integratedInfo_1",
    "API301": "API301/Dividend_rate_total",
    "API9_1": "API9_1/raceHorseCancelInfo_1",
    "API26_2": "API26_2/entrySheet_2",
    "API189_1": "API189_1/Track_1",
    "API28_1": "API28_1/singlePredictionRateInfo_1",
    "API29_1": "API29_1/doublePredictionRateInfo_1",
    "API30_1": "API30_1/triplePredictionRateInfo_1",
    "API179_1": "API179_1/salesAndDividendRate_1",
}
MONTH_RE = re.compile(r"^[0-9]{4}(0[1-9]|1[0-2])$")

# Where each API is applied for (the data.go.kr dataset page), for refusal messages.
PORTAL_DATASETS: dict[str, str] = {
    "API160_1": "15058559",
    "API301": "15119558",
    "API9_1": "15056779",
    "API189_1": "15063953",
    "API26_2": "15058677",
    "API28_1": "15059137",
    "API29_1": "15057397",
    "API30_1": "15058258",
    "API179_1": "15057896",
}
# A whole day of one pool grid is 6k-13k rows: one large page keeps it to one call per day.
POOL_GRID_PAGE_SIZE = 20_000

# A Retry-After longer than this is a daily quota: better to stop the step (the days left
# resume after the reset) than to hang a run for a quarter of an hour.
MAX_RETRY_AFTER_SECONDS = 60.0

_SERVICE_KEY_IN_URL = re.compile(r"(serviceKey=)[^&]*", re.IGNORECASE)


def redact(url: str) -> str:
    """A URL safe to log: the service key replaced."""
    return _SERVICE_KEY_IN_URL.sub(r"\1***", url)


@dataclass
class CallStats:
    """HTTP requests per API id; `retries` counts the attempts that were repeats."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_retries(self) -> int:
        return sum(self.retries.values())


@dataclass(frozen=True)
class RaceDayAnswer:
    """Every page of one meet's race day as received, and their items in order."""

    pages: list[dict[str, Any]]
    items: list[dict[str, Any]]
    total_count: int


class KraClient:
    """Typed, rate-limited, retrying access to the KRA endpoints the pipeline uses."""

    def __init__(
        self,
        settings: KraSettings | None = None,
        *,
        limiter: SharedRateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings or KraSettings()
        self._service_key = self.settings.service_key()
        self._owns_limiter = limiter is None
        self.limiter = limiter or SharedRateLimiter.from_settings(self.settings)
        self.daily_quota = DailyQuota.from_settings(self.settings)
        self._http = httpx.Client(
            base_url=self.settings.api_base_url.rstrip("/") + "/",
            timeout=self.settings.api_timeout_seconds,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self.stats = CallStats()
        self._answered: set[str] = set()
        first_wait = self.settings.api_backoff_seconds
        self._backoff = wait_exponential_jitter(
            multiplier=first_wait, max=max(30.0, first_wait), jitter=first_wait
        )

    # -- race days ------------------------------------------------------------------------

    def fetch_race_day(
        self, meet: int, race_date: str, race_no: int | None = None
    ) -> RaceDayAnswer:
        """Every entrant of one meet's day (or one race) in as few paginated calls as possible."""
        meet = meet_code(meet)
        if not RACE_DATE_RE.match(race_date):
            raise ValueError(f"race_date must be YYYYMMDD, got {race_date!r}")
        params: dict[str, Any] = {"meet": meet, "rc_date": race_date}
        if race_no is not None:
            params["rc_no"] = race_no
        pages, items, total = self._fetch_all("API214_1", params)
        self._check_day("API214_1", items, meet, race_date)
        return RaceDayAnswer(pages=pages, items=items, total_count=total)

    def fetch_race_month(self, meet: int, month: str) -> RaceDayAnswer:
        """Every API4_3 ledger row of one meet's month (YYYYMM), all pages: past race days with
        results, and the next few days with placeholders. Raises KraRequestError when rows of
        another month or meet come back (the filter was ignored)."""
        meet = meet_code(meet)
        if not MONTH_RE.match(month):
            raise ValueError(f"month must be YYYYMM, got {month!r}")
        pages, items, total = self._fetch_all("API4_3", {"meet": meet, "rc_month": month})
        strays = {str(compact_date(item.get("rcDate")))[:6] for item in items} - {month}
        other_meets = {meet_code(item["meet"]) for item in items if "meet" in item} - {meet}
        if strays or other_meets:
            raise KraRequestError(
                None,
                "API4_3",
                f"API4_3 answered rows of other months {sorted(strays)[:3]} or meets "
                f"{sorted(other_meets)} for meet {meet} in {month}: the filter was ignored, "
                "check the parameter names",
            )
        return RaceDayAnswer(pages=pages, items=items, total_count=total)

    def fetch_pool_grid(self, api: str, meet: int, race_date: str) -> list[dict[str, Any]]:
        """Every combination of every pool of one meet's day, from API301 or API160_1.

        No `pool` filter: API160_1 is reported to ignore it and API301 answers every pool
        without one; the caller keeps what it needs.
        """
        if api not in ("API160_1", "API301"):
            raise ValueError(f"{api} is not a pool-grid API: use API160_1 or API301")
        params = {"meet": meet_code(meet), "rc_date": race_date}
        items = self._fetch_all(api, params, page_size=POOL_GRID_PAGE_SIZE)[1]
        self._check_day(api, items, meet_code(meet), race_date)
        return items

    def fetch_scratches(self, meet: int, race_date: str) -> list[dict[str, Any]]:
        """The day's scratched entrants with KRA's reason (API9_1); empty on most days."""
        params = {"meet": meet_code(meet), "rc_date": race_date}
        items = self._fetch_all("API9_1", params)[1]
        self._check_day("API9_1", items, meet_code(meet), race_date)
        return items

    def fetch_track(self, meet: int, race_date: str) -> list[dict[str, Any]]:
        """The day's track condition and weather (API189_1), one item per race. Asked for one
        day (`rc_date_fr` = `rc_date_to`), the only form seen working."""
        params = {"meet": meet_code(meet), "rc_date_fr": race_date, "rc_date_to": race_date}
        items = self._fetch_all("API189_1", params)[1]
        self._check_day("API189_1", items, meet_code(meet), race_date)
        return items

    def fetch_entry_sheet(self, meet: int, race_date: str) -> list[dict[str, Any]]:
        """The day's entry sheet (API26_2), one item per entrant; empty before KRA publishes
        it (about two days ahead). Its career counters are today's values, not the form."""
        params = {"meet": meet_code(meet), "rc_date": race_date}
        items = self._fetch_all("API26_2", params)[1]
        self._check_day("API26_2", items, meet_code(meet), race_date)
        return items

    @staticmethod
    def _check_day(api: str, items: list[dict[str, Any]], meet: int, race_date: str) -> None:
        strays = {compact_date(item.get("rcDate")) for item in items} - {race_date, None}
        if strays:
            raise KraRequestError(
                None,
                api,
                f"{api} answered rows of other days ({sorted(map(str, strays))[:3]}) for "
                f"meet {meet} on {race_date}: the filter was ignored, check the parameter names",
            )

    # -- registries -----------------------------------------------------------------------

    def fetch_horse(self, horse_no: str) -> HorseDetail | None:
        """One horse, retired ones included: the horses of an old race day are mostly retired,
        and API8_2's default (`act_gubun=y`) may hold active horses only; KRA ignores the
        parameter if it does not know it."""
        wanted = normalise_id(horse_no, HORSE_ID_WIDTH)
        item = self._fetch_one(
            "API8_2", "hr_no", "hrNo", wanted, HORSE_ID_WIDTH, {"act_gubun": "n"}
        )
        return HorseDetail.from_item(item) if item else None

    def fetch_jockey(self, jockey_no: str) -> JockeyDetail | None:
        wanted = normalise_id(jockey_no, PERSON_ID_WIDTH)
        item = self._fetch_one("API12_1", "jk_no", "jkNo", wanted, PERSON_ID_WIDTH)
        return JockeyDetail.from_item(item) if item else None

    def fetch_trainer(self, trainer_no: str) -> TrainerDetail | None:
        wanted = normalise_id(trainer_no, PERSON_ID_WIDTH)
        item = self._fetch_one("API19_1", "tr_no", "trNo", wanted, PERSON_ID_WIDTH)
        return TrainerDetail.from_item(item) if item else None

    def list_horses(self, meet: int, *, include_retired: bool = False) -> list[HorseDetail]:
        """The meet's horse registry: active horses, or with `include_retired` retired ones too.

        `act_gubun=n` comes from a third-party client's definition of API8_2, not from KRA's
        guide: if KRA ignored it, this would quietly return the active horses only, so callers
        must not take a missing horse for proof. The default request sends no `act_gubun`
        (KRA's default is active horses): it stays the request known to work with the service.
        """
        params: dict[str, Any] = {"meet": meet_code(meet)}
        if include_retired:
            params["act_gubun"] = "n"
        items = self._fetch_all("API8_2", params)[1]
        return [HorseDetail.from_item(item) for item in items]

    def list_jockeys(self, meet: int) -> list[JockeyDetail]:
        items = self._fetch_all("API12_1", {"meet": meet_code(meet)})[1]
        return [JockeyDetail.from_item(item) for item in items]

    def list_trainers(self, meet: int) -> list[TrainerDetail]:
        items = self._fetch_all("API19_1", {"meet": meet_code(meet)})[1]
        return [TrainerDetail.from_item(item) for item in items]

    # -- pagination -----------------------------------------------------------------------

    def _fetch_one(
        self,
        api: str,
        param: str,
        field_name: str,
        wanted: str,
        width: int,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """The record with this id, or None. One page only: an ignored filter must not page
        through the whole registry, and the id is checked because KRA ignores unknown filters."""
        envelope = self._get_page(api, {param: wanted, "pageNo": 1, **(extra or {})})
        for item in envelope.items:
            if field_name in item and normalise_id(item[field_name], width) == wanted:
                return item
        if envelope.total_count > 1:
            log.warning("kra.lookup.unfiltered", api=api, wanted=wanted, total=envelope.total_count)
        return None

    def _fetch_all(
        self, api: str, params: dict[str, Any], page_size: int | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """Follow pageNo until totalCount rows are in hand; check the count at the end."""
        page_size = max(page_size or 0, self.settings.api_page_size)
        pages: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        page_no = 1
        while True:
            envelope = self._get_page(api, {**params, "pageNo": page_no, "numOfRows": page_size})
            pages.append(envelope.document)
            items.extend(envelope.items)
            total = envelope.total_count
            if len(items) >= total or not envelope.items:
                break
            if page_no == 1 and len(envelope.items) < page_size:
                # The service capped the page below what was asked: continue at its size.
                page_size = len(envelope.items)
            page_no += 1
        if len(items) != total:
            raise KraTransientError(
                "COUNT",
                api,
                f"{api} announced totalCount={total} but {len(items)} rows arrived over "
                f"{len(pages)} page(s) for {params}: the data changed while paging; retry later",
            )
        return pages, items, total

    # -- one request, retried -------------------------------------------------------------

    def _get_page(self, api: str, params: dict[str, Any]) -> Envelope:
        retrying = Retrying(
            retry=retry_if_exception(_worth_retrying),
            stop=stop_after_attempt(self.settings.api_max_attempts),
            wait=self._wait_before_retry,
            before_sleep=lambda state: self._note_retry(api, state),
            reraise=True,
        )
        try:
            envelope = retrying(self._attempt, api, params)
        except KraConfigurationError as error:
            if error.code == SERVICE_NOT_GRANTED:
                note_refusal(self.daily_quota.engine, api, error.message)
                self._answered.discard(api)
            raise
        except KraQuotaError as error:
            # A refusal that outlasts a short wait is the day's quota, whatever KRA calls it.
            reset = next_reset(dt.datetime.now(KST))
            raise KraDailyQuotaError(
                error.code,
                api,
                f"KRA kept refusing {api} for quota ({error.code}) after "
                f"{self.settings.api_max_attempts} attempts: treated as this key's daily quota, "
                f"which resets at {reset:%Y-%m-%d %H:%M} KST. The step stops without retrying "
                "and the days left resume after the reset. If another program shares this key, "
                "give it a key of its own or lower KRA_RATE_LIMIT_PER_MINUTE and KRA_DAILY_QUOTA "
                "to this program's share",
            ) from error
        if api not in self._answered:  # once per API and client: the book is not a call log
            note_answer(self.daily_quota.engine, api)
            self._answered.add(api)
        return envelope

    def _wait_before_retry(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, KraQuotaError) and error.retry_after is not None:
            return min(error.retry_after, MAX_RETRY_AFTER_SECONDS)
        return self._backoff(state)

    def _note_retry(self, api: str, state: RetryCallState) -> None:
        self.stats.retries[api] += 1
        error = state.outcome.exception() if state.outcome else None
        log.info(
            "kra.retry",
            api=api,
            attempt=state.attempt_number,
            error=type(error).__name__,
            code=getattr(error, "code", None),
            wait_seconds=round(state.upcoming_sleep, 3),
        )

    def _attempt(self, api: str, params: dict[str, Any]) -> Envelope:
        self.daily_quota.take(api)  # raises KraDailyQuotaError, which is never retried
        self.limiter.acquire()
        query = {**params, "_type": "json"}
        if self._service_key:
            query["serviceKey"] = self._service_key
        self.stats.calls[api] += 1
        started = time.monotonic()
        try:
            response = self._http.get(ENDPOINTS[api], params=query)
        except httpx.TimeoutException as exc:
            raise KraTransientError(
                TIMEOUT_CODE,
                api,
                f"{api} did not answer within KRA_API_TIMEOUT_SECONDS="
                f"{self.settings.api_timeout_seconds}: retried; raise the setting if it persists",
            ) from exc
        except httpx.TransportError as exc:
            raise KraTransientError(
                NETWORK_CODE,
                api,
                f"could not reach {api} at KRA_API_BASE_URL={self.settings.api_base_url} "
                f"({type(exc).__name__}): retried; check the address and the network",
            ) from exc
        log.debug(
            "kra.response",
            api=api,
            url=redact(str(response.request.url)),
            status=response.status_code,
            seconds=round(time.monotonic() - started, 3),
        )
        return self._read(api, response)

    @staticmethod
    def _read(api: str, response: httpx.Response) -> Envelope:
        status = response.status_code
        if status >= 400:
            by_status = error_for_http_status(status, api, _retry_after(response))
            if status < 500 and status != 429:
                try:  # a 4xx with a gateway envelope says more than the status does
                    parse_body(response.content, api)
                except KraError as by_body:
                    if not isinstance(by_body, KraTransientError):
                        raise by_body from None
            raise by_status
        return parse_body(response.content, api)

    def close(self) -> None:
        self._http.close()
        self.daily_quota.close()
        if self._owns_limiter:
            self.limiter.close()

    def __enter__(self) -> KraClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _worth_retrying(error: BaseException) -> bool:
    """Transient faults, and quota refusals that ask for a short wait (or none)."""
    if isinstance(error, KraQuotaError):
        return error.retry_after is None or error.retry_after <= MAX_RETRY_AFTER_SECONDS
    return isinstance(error, KraTransientError)


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare for this gateway and ignored)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
