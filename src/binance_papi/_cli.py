"""The `binance-papi` command line.

    binance-papi balance [--asset X] [--json]     per-asset balances (GET /papi/v1/balance)
    binance-papi account [--json]                 uniMMR, equity, margins, status (GET /papi/v1/account)
    binance-papi positions [--all] [--json]       UM and CM positions (positionRisk)
    binance-papi snapshot [--all] [--json]        account_snapshot(): per-asset total/used/free, health, positions
    binance-papi doctor                           connectivity, clock, key type, credentials, weight, ban

Every command takes --base-url, --recv-window, --timeout and --private-key-file. Tables and JSON are
rendered by `_cli_render`, the doctor's checks live in `_doctor`.

Credentials come from the environment (see ENVIRONMENT, shown by `--help`): BINANCE_API_KEY, and
BINANCE_API_SECRET for an HMAC key or BINANCE_PRIVATE_KEY_FILE (or --private-key-file) for an RSA or Ed25519
key, never both; an encrypted key's passphrase comes from BINANCE_PRIVATE_KEY_PASSPHRASE or, on a terminal,
a prompt. Amounts are printed exactly as Binance sent them, in the table and in --json; nothing goes through
a float. Errors are one line on stderr with Binance's code, message and a hint, and an exit status per kind
of failure (EXIT_CODES, described by EXIT_STATUS). No secret is ever printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ._bans import BANS, state_file
from ._cli_render import (
    open_only,
    positions_json,
    render_account,
    render_balances,
    render_positions,
    render_snapshot,
    snapshot_json,
    to_json,
)
from ._client import PapiClient, signed_client
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
    SnapshotError,
    TimestampError,
    TransportError,
    WeightBudgetExceeded,
)
from ._retry import RetryPolicy
from ._version import __version__

T = TypeVar("T")

# Exit statuses, most specific first (2 is click's usage error).
EXIT_CODES: list[tuple[type[PapiError], int]] = [
    (RequestValidationError, 3),
    (BadRequestError, 3),  # Binance's word on the input, e.g. an unknown asset (-1108)
    (AuthenticationError, 4),
    (InvalidSignatureError, 4),
    (TimestampError, 5),
    (RateLimitError, 6),
    (IPBannedError, 6),
    (WeightBudgetExceeded, 6),  # the weight governor would have waited past max_wait: nothing was sent
    (ServerError, 7),
    (TransportError, 8),
    (InvalidResponseError, 9),
    (APIError, 10),
    (PapiError, 10),
]

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
    (6, "rate limited (429), IP banned (418), or the weight governor would wait too long (not sent)"),
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


def exit_code(error: PapiError) -> int:
    """The exit status of an error's kind; a failed snapshot exits as its first failed part."""
    if isinstance(error, SnapshotError):
        error = error.error
    return next(code for cls, code in EXIT_CODES if isinstance(error, cls))


@click.group(epilog=EPILOG)
@click.version_option(__version__, prog_name="binance-papi")
def main() -> None:
    """Binance Portfolio Margin from the command line (credentials from the environment, below)."""
    # A ban (418) or Retry-After seen by an earlier command still holds: load it, and save what this one learns.
    state = state_file()
    BANS.load(state)
    click.get_current_context().call_on_close(lambda: BANS.save(state))


_CONNECTION_OPTIONS = [
    click.option(
        "--base-url",
        default=DEFAULT_BASE_URL,
        envvar="BINANCE_BASE_URL",
        show_default=True,
        show_envvar=True,
        help="API host, e.g. the simulator's.",
    ),
    click.option("--recv-window", type=int, default=DEFAULT_RECV_WINDOW, show_default=True, help="ms (1..60000)."),
    click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request."),
    click.option(
        "--private-key-file",
        type=click.Path(dir_okay=False),
        envvar="BINANCE_PRIVATE_KEY_FILE",
        show_envvar=True,
        help="RSA or Ed25519 private key (PEM) instead of BINANCE_API_SECRET.",
    ),
]
_JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON with the exact strings Binance sent.")
_ALL_OPTION = click.option(
    "--all", "all_positions", is_flag=True, help="Also the symbols without a position (Binance lists them at 0)."
)

F = TypeVar("F", bound=Callable[..., Any])


def _connection_options(command: F) -> F:
    for option in reversed(_CONNECTION_OPTIONS):
        command = option(command)
    return command


def _client(connection: dict[str, Any], *, retry: RetryPolicy | None = None) -> PapiClient:
    """A client from the options and the environment's credentials (RequestValidationError when they are wrong)."""
    credentials = _credentials(connection["private_key_file"])
    return signed_client(
        **credentials,
        base_url=connection["base_url"],
        recv_window=connection["recv_window"],
        timeout=connection["timeout"],
        retry=retry,
    )


def _fetch(connection: dict[str, Any], fetch: Callable[[PapiClient], T]) -> T:
    """`fetch(client)`, or exit with the error on one line of stderr and its exit status."""
    try:
        with _client(connection) as client:
            return fetch(client)
    except PapiError as error:
        click.echo(f"binance-papi: {type(error).__name__}: {error}", err=True)
        sys.exit(exit_code(error))


@main.command(epilog=EPILOG)
@click.option("--asset", help="One asset (e.g. USDT, upper case) instead of all.")
@_JSON_OPTION
@_connection_options
def balance(*, asset: str | None, as_json: bool, **connection: Any) -> None:  # noqa: ANN401
    """Query account balance (GET /papi/v1/balance, weight 20)."""
    result = _fetch(connection, lambda c: c.get_balance() if asset is None else c.get_balance(asset=asset))
    balances = result if isinstance(result, list) else [result]
    if as_json:
        payload: Any = [b.to_dict() for b in balances] if isinstance(result, list) else result.to_dict()
        click.echo(to_json(payload))
    elif balances:
        click.echo(render_balances(balances))
    else:
        click.echo("No balances.")


@main.command(epilog=EPILOG)
@_JSON_OPTION
@_connection_options
def account(*, as_json: bool, **connection: Any) -> None:  # noqa: ANN401
    """Account health: uniMMR, equity, margins, status (GET /papi/v1/account, weight 20)."""
    result = _fetch(connection, lambda c: c.get_account())
    click.echo(to_json(result.to_dict()) if as_json else render_account(result))


@main.command(epilog=EPILOG)
@_ALL_OPTION
@_JSON_OPTION
@_connection_options
def positions(*, all_positions: bool, as_json: bool, **connection: Any) -> None:  # noqa: ANN401
    """UM and CM positions (GET /papi/v1/um/positionRisk, weight 5, and /papi/v1/cm/positionRisk, weight 1)."""
    um, cm = _fetch(connection, lambda c: (c.get_um_position_risk(), c.get_cm_position_risk()))
    if not all_positions:
        um, cm = open_only(um), open_only(cm)
    click.echo(to_json(positions_json(um, cm)) if as_json else render_positions(um, cm))


@main.command(epilog=EPILOG)
@_ALL_OPTION
@_JSON_OPTION
@_connection_options
def snapshot(*, all_positions: bool, as_json: bool, **connection: Any) -> None:  # noqa: ANN401
    """The account at one moment: six endpoints at once (account_snapshot(), weight 56).

    Per asset total / used / free (total = wallet balance; used = cross margin locked + UM and CM initial
    margin; free = total - used), the wallets and margins, the account's uniMMR, equity, status and
    maintenance margin, and the positions.
    """
    result = _fetch(connection, lambda c: c.account_snapshot())
    if as_json:
        click.echo(to_json(snapshot_json(result, all_positions=all_positions)))
    else:
        click.echo(render_snapshot(result, all_positions=all_positions))


@main.command(epilog=EPILOG)
@_connection_options
def doctor(**connection: Any) -> None:  # noqa: ANN401
    """Check the set-up: connectivity, clock offset, key type, credentials, used weight, bans.

    Sends three light requests (weight 3: ping, server time, the lightest signed read), without retries, and
    nothing during a ban. One line per check; the exit status is 0 when all pass, else the failing kind's.
    """
    from ._doctor import Status, run_checks

    try:
        with _client(connection, retry=RetryPolicy.disabled()) as client:
            checks = run_checks(client, exit_code)
    except PapiError as error:
        click.echo(f"binance-papi: {type(error).__name__}: {error}", err=True)
        sys.exit(exit_code(error))
    width = max(len(check.name) for check in checks)
    for check in checks:
        click.echo(f"{check.status.value:<4}  {check.name:<{width}}  {check.detail}")
    failed = [check for check in checks if check.status is Status.FAIL]
    if failed:
        sys.exit(failed[0].exit_code)


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
