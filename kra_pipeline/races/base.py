"""The pydantic base of every typed KRA record."""

from pydantic import BaseModel, ConfigDict


class KraModel(BaseModel):
    """Strict about unknown fields: a typo in a field name fails loudly."""

    model_config = ConfigDict(frozen=False, extra="forbid")
