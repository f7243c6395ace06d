"""The `binance-papi` command line.

    binance-papi balance [--asset X] [--json] [--base-url URL]

Credentials come from the environment: BINANCE_API_KEY, and BINANCE_API_SECRET for an HMAC key or
BINANCE_PRIVATE_KEY_FILE (or --private-key-file) for an RSA or Ed25519 key, whose passphrase comes from
BINANCE_PRIVATE_KEY_PASSPHRASE or, on a terminal, a prompt. Amounts are printed exactly
as Binance sent them, in the table and in --json; nothing goes through a float. Errors are one line on
stderr with Binance's code, message and a hint, and an exit status per kind of failure (see EXIT_CODES).
No secret is ever printed.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import click

from binance_papi_generated.models import Balance

from ._client import signed_client
from ._constants import DEFAULT_BASE_URL, DEFAULT_RECV_WINDOW
from ._errors import (
    APIError,
    AuthenticationError,
    InvalidResponseError,
    InvalidSignatureError,
    IPBannedError,
    PapiError,
    RateLimitError,
    RequestValidationError,
    ServerError,
    TimestampError,
    TransportError,
)
from ._version import __version__

# Exit statuses, most specific first (2 is click's usage error).
EXIT_CODES: list[tuple[type[PapiError], int]] = [
    (RequestValidationError, 3),
    (AuthenticationError, 4),
    (InvalidSignatureError, 4),
    (TimestampError, 5),
    (RateLimitError, 6),
    (IPBannedError, 6),
    (ServerError, 7),
    (TransportError, 8),
    (InvalidResponseError, 9),
    (APIError, 10),
    (PapiError, 10),
]

COLUMNS: list[tuple[str, str]] = [
    ("asset", "ASSET"),
    ("totalWalletBalance", "TOTAL WALLET"),
    ("crossMarginFree", "CROSS FREE"),
    ("crossMarginLocked", "CROSS LOCKED"),
    ("crossMarginBorrowed", "CROSS BORROWED"),
    ("crossMarginInterest", "CROSS INTEREST"),
    ("umWalletBalance", "UM WALLET"),
    ("umUnrealizedPNL", "UM UPNL"),
    ("cmWalletBalance", "CM WALLET"),
    ("cmUnrealizedPNL", "CM UPNL"),
    ("negativeBalance", "NEGATIVE"),
    ("updateTime", "UPDATED (UTC)"),
]
NUMERIC = {key for key, _ in COLUMNS} - {"asset", "updateTime"}


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def render_table(balances: list[Balance]) -> str:
    """An aligned table; amounts exactly as received ("" stays empty), numbers right-aligned."""
    rows = [[h for _, h in COLUMNS]]
    for balance in balances:
        wire = balance.to_dict()
        rows.append([_utc(balance.update_time) if key == "updateTime" else str(wire[key]) for key, _ in COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if key in NUMERIC else cell.ljust(width)
            for (key, _), cell, width in zip(COLUMNS, row, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def exit_code(error: PapiError) -> int:
    return next(code for cls, code in EXIT_CODES if isinstance(error, cls))


@click.group()
@click.version_option(__version__, prog_name="binance-papi")
def main() -> None:
    """Binance Portfolio Margin from the command line (BINANCE_API_KEY / BINANCE_API_SECRET)."""


@main.command()
@click.option("--asset", help="One asset (e.g. USDT) instead of all.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON Binance sent (exact strings).")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, help="API host, e.g. the simulator's.")
@click.option("--recv-window", type=int, default=DEFAULT_RECV_WINDOW, show_default=True, help="ms (1..60000).")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request.")
@click.option(
    "--private-key-file",
    type=click.Path(dir_okay=False),
    envvar="BINANCE_PRIVATE_KEY_FILE",
    help="RSA or Ed25519 private key (PEM) instead of BINANCE_API_SECRET.  [env: BINANCE_PRIVATE_KEY_FILE]",
)
def balance(
    *, asset: str | None, as_json: bool, base_url: str, recv_window: int, timeout: float, private_key_file: str | None
) -> None:
    """Query account balance (GET /papi/v1/balance)."""
    try:
        credentials = _credentials(private_key_file)
        with signed_client(**credentials, base_url=base_url, recv_window=recv_window, timeout=timeout) as client:
            result = client.get_balance() if asset is None else client.get_balance(asset=asset)
    except PapiError as error:
        click.echo(f"binance-papi: {type(error).__name__}: {error}", err=True)
        sys.exit(exit_code(error))
    balances = result if isinstance(result, list) else [result]
    if as_json:
        payload: Any = [b.to_dict() for b in balances] if isinstance(result, list) else result.to_dict()
        click.echo(json.dumps(payload, indent=2))
    elif balances:
        click.echo(render_table(balances))
    else:
        click.echo("No balances.")


def _credentials(private_key_file: str | None) -> dict[str, Any]:
    api_key = os.environ.get("BINANCE_API_KEY", "")
    if not api_key:
        raise RequestValidationError("set BINANCE_API_KEY in the environment")
    if private_key_file:
        passphrase = os.environ.get("BINANCE_PRIVATE_KEY_PASSPHRASE")
        if passphrase is None and sys.stdin.isatty() and _is_encrypted(private_key_file):
            passphrase = click.prompt("Private key passphrase", hide_input=True, err=True)
        return {"api_key": api_key, "private_key": private_key_file, "private_key_passphrase": passphrase}
    api_secret = os.environ.get("BINANCE_API_SECRET", "")
    if not api_secret:
        raise RequestValidationError("set BINANCE_API_SECRET (HMAC key) or BINANCE_PRIVATE_KEY_FILE (RSA/Ed25519 key)")
    return {"api_key": api_key, "api_secret": api_secret}


def _is_encrypted(path: str) -> bool:
    try:
        with open(path, "rb") as handle:  # noqa: PTH123
            return b"ENCRYPTED" in handle.read(4096)
    except OSError:
        return False  # the loader reports the unreadable file
