"""A source API the key was not granted (code 20) fails only its own asset, saying where to
apply; the race-day assets never depend on these sources and stay collected."""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure

from kra_pipeline.kra.client import PORTAL_DATASETS
from kra_pipeline.kra.errors import (
    NO_SUCH_SERVICE,
    SERVICE_NOT_GRANTED,
    KraConfigurationError,
    KraRequestError,
)


def refusal(api: str, error: KraConfigurationError | KraRequestError) -> Failure:
    """The failure of a source asset whose API the key may not use."""
    dataset = PORTAL_DATASETS.get(api)
    where = f"https://www.data.go.kr/data/{dataset}/openapi.do" if dataset else "data.go.kr"
    return Failure(
        description=(
            f"{error.message}. Only this source failed; the race days are unaffected. "
            f"Apply for {api} at {where} (the same key), then re-materialize this asset"
        ),
        allow_retries=False,
    )


@contextmanager
def only_this_source(api: str, *, unserved_too: bool = False) -> Iterator[None]:
    """Turn a code-20 refusal of `api` (and with `unserved_too` a code 12, no such service
    for this key) into this asset's failure, without retries."""
    try:
        yield
    except (KraConfigurationError, KraRequestError) as error:
        codes = {SERVICE_NOT_GRANTED, NO_SUCH_SERVICE} if unserved_too else {SERVICE_NOT_GRANTED}
        if error.code in codes:
            raise refusal(api, error) from error
        raise
