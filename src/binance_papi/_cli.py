"""The `binance-papi` command line.

    binance-papi balance [--asset X] [--json] [--base-url URL]

Credentials come from the environment (see ENVIRONMENT, shown by `--help`): BINANCE_API_KEY, and
BINANCE_API_SECRET for an HMAC key or BINANCE_PRIVATE_KEY_FILE (or --private-key-file) for an RSA or Ed25519
key, never both; an encrypted key's passphrase comes from BINANCE_PRIVATE_KEY_PASSPHRASE or, on a terminal,
a prompt. Amounts are printed exactly as Binance sent them, in the table and in --json; nothing goes through
a float. Errors are one line on stderr with Binance's code, message and a hint, and an exit status per kind
of failure (EXIT_CODES, described by EXIT_STATUS). No secret is ever printed.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import click

from binance_papi_generated.models import Balance

from ._bans import BANS, state_file
from ._client import signed_client
from ._constants import DEFAULT_BASE_URL, DEFAULT_RECV_WINDOW
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
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
    (BadRequestError, 3),  # Binance's word on the input, e.g. an unknown asset (-1108)
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

ENVIRONMENT: list[tuple[str, str]] = [
    ("BINANCE_API_KEY", "the API key (required)"),
    ("BINANCE_API_SECRET", "its secret, for an HMAC key"),
    ("BINANCE_PRIVATE_KEY_FILE", "or an RSA / Ed25519 private key, PEM (--private-key-file)"),
    ("BINANCE_PRIVATE_KEY_PASSPHRASE", "that key's passphrase (else a prompt on a terminal)"),
    ("BINANCE_BASE_URL", f"API host (--base-url), default {DEFAULT_BASE_URL}"),
]
EXIT_STATUS: list[tuple[int, str]] = [
    (0, "success"),
    (2, "usage error (unknown option or command)"),
    (3, "bad input: missing or conflicting credentials, a bad key file, an unknown asset (-1108)"),
    (4, "authentication or signature (-2014, -2015, -1002, -1022)"),
    (5, "clock skew (-1021)"),
    (6, "rate limited (429) or IP banned (418)"),
    (7, "Binance server error (5XX)"),
    (8, "network: no answer, timeout, connection reset"),
    (9, "invalid response: a 2XX body that does not match the spec"),
    (10, "any other API error"),
]


def _epilog() -> str:
    """Environment variables and exit statuses, kept as laid out (click's no-rewrap marker opens each block)."""
    width = max(len(name) for name, _ in ENVIRONMENT)
    lines = ["\b", "Environment:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in ENVIRONMENT]
    lines += ["", "\b", "Exit status:"]
    lines += [f"  {code:<3} {text}" for code, text in EXIT_STATUS]
    return "\n".join(lines)


EPILOG = _epilog()


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


@click.group(epilog=EPILOG)
@click.version_option(__version__, prog_name="binance-papi")
def main() -> None:
    """Binance Portfolio Margin from the command line (credentials from the environment, below)."""
    # A ban (418) or Retry-After seen by an earlier command still holds: load it, and save what this one learns.
    state = state_file()
    BANS.load(state)
    click.get_current_context().call_on_close(lambda: BANS.save(state))


@main.command(epilog=EPILOG)
@click.option("--asset", help="One asset (e.g. USDT, upper case) instead of all.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON Binance sent (exact strings).")
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    envvar="BINANCE_BASE_URL",
    show_default=True,
    show_envvar=True,
    help="API host, e.g. the simulator's.",
)
@click.option("--recv-window", type=int, default=DEFAULT_RECV_WINDOW, show_default=True, help="ms (1..60000).")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request.")
@click.option(
    "--private-key-file",
    type=click.Path(dir_okay=False),
    envvar="BINANCE_PRIVATE_KEY_FILE",
    show_envvar=True,
    help="RSA or Ed25519 private key (PEM) instead of BINANCE_API_SECRET.",
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
    api_secret = os.environ.get("BINANCE_API_SECRET", "")
    if private_key_file:
        if api_secret:  # as signed_client refuses both: which key signs must never be a guess
            raise RequestValidationError(
                "both BINANCE_API_SECRET and a private key file (--private-key-file / BINANCE_PRIVATE_KEY_FILE) "
                "are set: give one (unset BINANCE_API_SECRET to sign with the key)"
            )
        passphrase = os.environ.get("BINANCE_PRIVATE_KEY_PASSPHRASE")
        if passphrase is None and _is_encrypted(private_key_file):
            if not sys.stdin.isatty():
                raise RequestValidationError(
                    "the private key file is encrypted and there is no terminal to ask for its passphrase: "
                    "set BINANCE_PRIVATE_KEY_PASSPHRASE"
                )
            passphrase = click.prompt("Private key passphrase", hide_input=True, err=True)
        return {"api_key": api_key, "private_key": private_key_file, "private_key_passphrase": passphrase}
    if not api_secret:
        raise RequestValidationError("set BINANCE_API_SECRET (HMAC key) or BINANCE_PRIVATE_KEY_FILE (RSA/Ed25519 key)")
    return {"api_key": api_key, "api_secret": api_secret}


def _is_encrypted(path: str) -> bool:
    try:
        with open(path, "rb") as handle:  # noqa: PTH123
            return b"ENCRYPTED" in handle.read(4096)
    except OSError:
        return False  # the loader reports the unreadable file
