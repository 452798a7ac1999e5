"""A source API the key was not granted (code 20) fails only its own asset, saying where to
apply; the race-day assets never depend on these sources and stay collected."""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure

from kra_pipeline.kra.client import PORTAL_DATASETS
from kra_pipeline.kra.errors import SERVICE_NOT_GRANTED, KraConfigurationError


def refusal(api: str, error: KraConfigurationError) -> Failure:
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
def only_this_source(api: str) -> Iterator[None]:
    """Turn a code-20 refusal of `api` into this asset's failure, without retries."""
    try:
        yield
    except KraConfigurationError as error:
        if error.code == SERVICE_NOT_GRANTED:
            raise refusal(api, error) from error
        raise
