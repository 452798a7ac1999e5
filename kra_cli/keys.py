"""`kra keys add|list|rotate|revoke`: REST API keys kept hashed in the race store.

The shim finds these keys by hash on each request, so adding or revoking one needs no restart.
"""

from __future__ import annotations

import click

SCOPE_CHOICES = ("read", "write")


@click.group("keys")
def keys_command() -> None:
    """Issue, list, rotate and revoke REST API keys (stored hashed in the race store)."""


@keys_command.command("add")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPE_CHOICES),
    help="read and/or write (repeat the option); default both",
)
@click.option(
    "--rate-limit", type=click.IntRange(min=1), help="requests per window (default: API_RATE_LIMIT)"
)
@click.option("--daily-limit", type=click.IntRange(min=1), help="requests per UTC day")
def add(
    name: str, scopes: tuple[str, ...], rate_limit: int | None, daily_limit: int | None
) -> None:
    """Issue a key called NAME and print it once: it is stored only as a hash."""
    from kra_api.auth import key_fingerprint
    from kra_api.key_store import add_key, new_key
    from kra_pipeline.store.db import get_engine

    key = new_key()
    try:
        add_key(
            get_engine(),
            name,
            key,
            key_fingerprint(key),
            list(scopes or SCOPE_CHOICES),
            rate_limit,
            daily_limit,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(key)
    click.echo(
        f"Key {name!r} issued ({', '.join(sorted(scopes or SCOPE_CHOICES))}); copy it now, it "
        "is not shown again.",
        err=True,
    )


@keys_command.command("list")
def list_() -> None:
    """Names, fingerprints, scopes, limits and state of the issued keys (never the keys)."""
    from kra_api.key_store import list_keys
    from kra_pipeline.store.db import get_engine

    for key in list_keys(get_engine()):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        limits = f"rate={key.rate_limit or 'default'} daily={key.daily_limit or '-'}"
        click.echo(f"{key.name}\t{key.fingerprint}\t{','.join(key.scopes)}\t{limits}\t{state}")


@keys_command.command("rotate")
@click.argument("name")
def rotate(name: str) -> None:
    """Replace the key called NAME by a new one with the same scopes and limits, and print
    it once; the old key is refused from the same moment."""
    from kra_api.auth import key_fingerprint
    from kra_api.key_store import new_key, rotate_key
    from kra_pipeline.store.db import get_engine

    key = new_key()
    try:
        rotated = rotate_key(get_engine(), name, key, key_fingerprint(key))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if rotated is None:
        raise click.ClickException(
            f"no active key named {name!r} to rotate (see `kra keys list`); issue one with "
            f"`kra keys add {name}`"
        )
    click.echo(key)
    click.echo(
        f"Key {name!r} rotated: the old key is revoked, this one has its scopes and limits; "
        "copy it now, it is not shown again.",
        err=True,
    )


@keys_command.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke the key called NAME; the REST API refuses it from its next request on."""
    from kra_api.key_store import revoke_key
    from kra_pipeline.store.db import get_engine

    if not revoke_key(get_engine(), name):
        raise click.ClickException(f"no active key named {name!r} (see `kra keys list`)")
    click.echo(f"Key {name!r} revoked")
