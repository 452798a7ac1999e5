"""Typed KRA failures, so callers decide by class: fail fast, wait for quota, or retry.

Every message names the API and the setting to change. None ever contains the key.
"""

from __future__ import annotations

# The result codes of the data.go.kr gateway and the KRA services (see KRA_API_NOTES.md).
RESULT_CODE_NAMES: dict[str, str] = {
    "00": "NORMAL_SERVICE",
    "01": "APPLICATION_ERROR",
    "02": "DB_ERROR",
    "03": "NODATA_ERROR",
    "04": "HTTP_ERROR",
    "05": "SERVICETIME_OUT",
    "10": "INVALID_REQUEST_PARAMETER_ERROR",
    "11": "NO_MANDATORY_REQUEST_PARAMETERS_ERROR",
    "12": "NO_OPENAPI_SERVICE_ERROR",
    "20": "SERVICE_ACCESS_DENIED_ERROR",
    "21": "TEMPORARILY_DISABLE_THE_SERVICEKEY_ERROR",
    "22": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR",
    "30": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
    "31": "DEADLINE_HAS_EXPIRED_ERROR",
    "32": "UNREGISTERED_IP_ERROR",
    "33": "UNSIGNED_CALL_ERROR",
    "99": "UNKNOWN_ERROR",
}

# What a person should do about each configuration code.
_CONFIGURATION_ADVICE: dict[str, str] = {
    "20": "KRA_API_KEY has not been granted access to {api}: apply for {api} on data.go.kr",
    "21": "KRA_API_KEY is temporarily disabled for {api}: check the key's status on data.go.kr",
    "30": "KRA_API_KEY is not registered for {api}: check the key in KRA_API_KEY (use the "
    "decoded key, not the percent-encoded one); a freshly issued key can take hours to activate",
    "31": "KRA_API_KEY has expired for {api}: renew the key on data.go.kr and update KRA_API_KEY",
    "32": "this machine's IP address is not registered for KRA_API_KEY on {api}: add it on "
    "data.go.kr",
    "33": "the call to {api} was refused as unsigned: set KRA_API_KEY to the decoded service key",
}

_REQUEST_ADVICE = (
    "the request to {api} was rejected: this is a bug in the client or in the meet/date/id passed "
    "to it, not something a setting can fix"
)


class KraError(Exception):
    """Any failure talking to the KRA open API."""

    def __init__(self, code: str | None, api: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.api = api
        self.message = message

    def __reduce__(self) -> tuple[object, ...]:
        """Survive pickling across processes (Dagster runs steps in subprocesses)."""
        return (self.__class__, (self.code, self.api, self.message))


class KraConfigurationError(KraError):
    """The key, its permissions or a setting is wrong: retrying cannot help."""


class KraRequestError(KraError):
    """KRA rejected the request's parameters (codes 10, 11, 12)."""


class KraQuotaError(KraError):
    """The request quota is spent (code 22, HTTP 429); worth retrying after a wait."""

    def __init__(
        self, code: str | None, api: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(code, api, message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.code, self.api, self.message, self.retry_after))


class KraDailyQuotaError(KraError):
    """This key's daily quota for one API is spent: no retry helps before 00:00 KST."""


class KraTransientError(KraError):
    """A fault that usually goes away: 5xx, service codes 01/02/04/05/99, time-outs, torn bodies."""


# The result code of an API the key was not granted (apply for it on data.go.kr).
SERVICE_NOT_GRANTED = "20"
NO_SUCH_SERVICE = "12"  # NO_OPENAPI_SERVICE_ERROR: the service is not offered to this key

# Codes of the transient errors raised when KRA did not answer at all (no HTTP response).
TIMEOUT_CODE = "TIMEOUT"
NETWORK_CODE = "NETWORK"
UNREACHABLE_CODES = frozenset({TIMEOUT_CODE, NETWORK_CODE})


def _describe(code: str, reason: str | None) -> str:
    name = reason or RESULT_CODE_NAMES.get(code, "UNKNOWN")
    return f"code {code} {name}"


def error_for_result_code(code: str, api: str, reason: str | None = None) -> KraError:
    """The exception for a non-"00" result code from the gateway or the service header."""
    code = code.strip().zfill(2)
    described = _describe(code, reason)
    if code in _CONFIGURATION_ADVICE:
        advice = _CONFIGURATION_ADVICE[code].format(api=api)
        head, _, tail = advice.partition(": ")
        return KraConfigurationError(code, api, f"{head} ({described}): {tail}")
    if code in {"10", "11", "12"}:
        return KraRequestError(code, api, f"{_REQUEST_ADVICE.format(api=api)} ({described})")
    if code == "22":
        return KraQuotaError(
            code,
            api,
            f"the request quota of KRA_API_KEY for {api} is spent ({described}): the client waits "
            "and retries; lower KRA_RATE_LIMIT_PER_MINUTE or ask data.go.kr for a larger quota",
        )
    return KraTransientError(
        code,
        api,
        f"{api} answered with a service fault ({described}): retried up to KRA_API_MAX_ATTEMPTS "
        "times; if it persists the KRA service is down",
    )


def error_for_http_status(status: int, api: str, retry_after: float | None = None) -> KraError:
    """The exception for an HTTP status the gateway uses instead of an envelope."""
    code = f"HTTP {status}"
    if status in {401, 403}:
        return KraConfigurationError(
            code,
            api,
            f"KRA_API_KEY was refused by {api} ({code}): check the key in KRA_API_KEY and that "
            f"{api} is applied for on data.go.kr",
        )
    if status == 429:
        return KraQuotaError(
            code,
            api,
            f"{api} asked the client to slow down ({code}): the client waits and retries; lower "
            "KRA_RATE_LIMIT_PER_MINUTE if this keeps happening",
            retry_after=retry_after,
        )
    if status >= 500:
        return KraTransientError(
            code, api, f"{api} failed on the server side ({code}): retried with backoff"
        )
    if status == 404:
        return KraConfigurationError(
            code,
            api,
            f"{api} does not exist at the configured address ({code}): check KRA_API_BASE_URL",
        )
    return KraRequestError(code, api, f"{api} rejected the request ({code})")


def transient_body_error(api: str, what: str) -> KraTransientError:
    """A body that cannot be read as an envelope (cut off, HTML, plain text)."""
    return KraTransientError(
        "BODY",
        api,
        f"{api} sent a body that is not a KRA envelope ({what}): retried; if it persists, check "
        "KRA_API_BASE_URL points at the KRA open API",
    )
