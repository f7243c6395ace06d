"""`binance-papi doctor`: is this machine set up to use the API, and if not, why.

Checks, in order, each one line (`Check`); the requests it sends, all light (4 weight in all):

    connectivity  GET /papi/v1/ping (unsigned, weight 1)
    clock         GET /fapi/v1/time (unsigned; its `Date` header when the body has no serverTime): the offset
    key type      HMAC, RSA or Ed25519, read from the key (nothing sent)
    credentials   the lightest signed read of the spec (`CREDENTIALS_CHECK`, weight 1), signed with the
                  offset just measured, so a clock problem and a credential problem are told apart
    weight        X-MBX-USED-WEIGHT-1M of the last answer, and what the weight governor would allow now
    ban           a 429 or 418 met on the way: nothing more is sent while it runs (the client refuses to)

Retries are off: every check is one request, and an error is reported as it came. A refused credential
check is named by its cause (`credential_cause`): Binance's -2015 covers three causes it does not tell
apart (unknown key, Portfolio Margin or permission missing, IP not whitelisted), so all three are listed
with the IP Binance saw.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from attrs import define

from ._errors import (
    APIError,
    AuthenticationError,
    InvalidSignatureError,
    IPBannedError,
    PapiError,
    RateLimitError,
    TimestampError,
)

if TYPE_CHECKING:
    from ._client import PapiClient

__all__ = ["CREDENTIALS_CHECK", "WEIGHT_LIMIT", "Check", "Status", "credential_cause", "run_checks"]

CREDENTIALS_CHECK = "get_order_rate_limit"
"""The signed read the doctor sends: weight 1 (the lightest in the spec), a tiny body, no parameters."""
WEIGHT_LIMIT = 6000
"""Binance's IP request-weight limit per minute for the PAPI (papi-facts: Limits and headers)."""
CLOCK_WARN_MS = 1000
"""Binance refuses timestamps more than 1000 ms ahead of its clock."""
PING_PATH = "/papi/v1/ping"
EXIT_CLOCK = 5
EXIT_BANNED = 6


class Status(Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@define(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    exit_code: int = 0
    """The exit status a FAIL stands for (EXIT_CODES of the error kind); 0 otherwise."""


_AUTH_CAUSES: dict[int | None, str] = {
    -2014: "bad API key format (-2014): check BINANCE_API_KEY for truncation, quotes or spaces",
    -1002: "permission missing (-1002): the key is not authorized for this request; check its permissions",
}


def credential_cause(error: PapiError) -> str:
    """Which of the usual causes a refused signed request points at, in words a user can act on."""
    if isinstance(error, InvalidSignatureError):
        return (
            "wrong secret (-1022): the signature did not verify; the secret or private key does not belong to "
            "this API key"
        )
    if isinstance(error, TimestampError):
        return "clock skew (-1021): the timestamp is outside recvWindow of Binance's clock; sync the clock (NTP)"
    if isinstance(error, AuthenticationError):
        return _auth_cause(error)
    if isinstance(error, APIError):
        return f"{type(error).__name__} (HTTP {error.status_code}, code {error.code}): {error.message}"
    return f"{type(error).__name__}: {error}"


def _auth_cause(error: AuthenticationError) -> str:
    if error.code in _AUTH_CAUSES:
        return _AUTH_CAUSES[error.code]
    if error.code == -2015:
        ip = re.search(r"request ip:\s*([0-9A-Fa-f.:]+)", error.message)
        seen = f" ({ip.group(1)} as Binance saw it)" if ip else ""
        return (
            "key rejected (-2015), one of: the API key is unknown (deleted, mistyped, or of another account); "
            "Portfolio Margin is not enabled on the account, or the key was created before enabling it, or lacks "
            f"the permission; or this machine's IP{seen} is not whitelisted for the key"
        )
    return f"refused (HTTP {error.status_code}): {error.message}; a 403 is Binance's web application firewall"


class _Doctor:
    """The checks of one run and what they learnt on the way (a ban met, whether the host answers)."""

    def __init__(self, client: PapiClient, exit_of: Callable[[PapiError], int]) -> None:
        self.client = client
        self.exit_of = exit_of
        self.checks: list[Check] = []
        self.banned: RateLimitError | IPBannedError | None = None

    def add(self, name: str, status: Status, detail: str, code: int = 0) -> None:
        self.checks.append(Check(name, status, detail, code))

    def fail(self, name: str, error: PapiError, detail: str) -> None:
        if isinstance(error, (RateLimitError, IPBannedError)):
            self.banned = error
        self.add(name, Status.FAIL, detail, self.exit_of(error))

    def connectivity(self) -> bool:
        started = time.monotonic()
        try:
            self.client.get_httpx_client().get(PING_PATH, auth=None)
        except PapiError as error:
            self.fail("connectivity", error, f"GET {PING_PATH}: {type(error).__name__}: {error}")
            return False
        elapsed = (time.monotonic() - started) * 1000
        self.add("connectivity", Status.OK, f"GET {PING_PATH} answered in {elapsed:.0f} ms ({self.client.base_url})")
        return True

    def clock(self) -> None:
        recv_window = self.client.auth.recv_window
        try:
            offset = self.client.sync_time()
        except PapiError as error:
            self.fail("clock", error, f"server time not measured: {type(error).__name__}: {error}")
            return
        text = f"server - local = {offset:+d} ms (recvWindow {recv_window} ms)"
        if abs(offset) >= recv_window:
            detail = (
                f"{text}: a request signed with the local clock gets -1021; sync the clock (NTP) "
                "(this client measures the offset after a -1021 and retries)"
            )
            self.add("clock", Status.FAIL, detail, EXIT_CLOCK)
        elif abs(offset) >= CLOCK_WARN_MS:
            self.add("clock", Status.WARN, f"{text}: more than 1 s off; sync the clock (NTP)")
        else:
            self.add("clock", Status.OK, text)

    def credentials(self) -> None:
        from binance_papi_generated.client import OPERATIONS

        operation = OPERATIONS[CREDENTIALS_CHECK]
        request = f"GET {operation.path}, weight {operation.weight}"
        try:
            getattr(self.client, CREDENTIALS_CHECK)()
        except PapiError as error:
            self.fail("credentials", error, f"{credential_cause(error)} ({request})")
        else:
            self.add("credentials", Status.OK, f"accepted ({request})")

    def weight(self) -> None:
        used = self.client.used_weight
        if used is None:
            self.add("weight", Status.SKIP, "no answer carried X-MBX-USED-WEIGHT-1M")
        else:
            status = Status.WARN if used >= WEIGHT_LIMIT * 4 // 5 else Status.OK
            self.add("weight", status, f"{used} of {WEIGHT_LIMIT} used this minute by this IP; {self.governed()}")

    def governed(self) -> str:
        """What the weight governor would let this client send now, or that it is off."""
        state = self.client.governor_state()
        if state is None:
            return "weight governor off"
        return (
            f"the governor allows {state.available} more now (cap {state.cap} of {state.limit}, "
            f"next window in {state.next_window_in:.0f} s)"
        )

    def ban(self) -> None:
        banned = self.banned
        if banned is None:
            self.add("ban", Status.OK, "none in force")
            return
        wait = banned.retry_after
        until = f"for {wait:.0f} s more" if wait is not None else "(no Retry-After given)"
        kind = "IP banned (418)" if isinstance(banned, IPBannedError) else "rate limited (429)"
        self.add("ban", Status.FAIL, f"{kind} {until}: nothing more was sent", EXIT_BANNED)


def run_checks(client: PapiClient, exit_of: Callable[[PapiError], int]) -> list[Check]:
    """Every check against `client` (built with retries off), in order; `exit_of(error)` is an error's exit status."""
    doctor = _Doctor(client, exit_of)
    reachable = doctor.connectivity()

    def skipped(name: str) -> bool:
        reason = "nothing is sent during a ban" if doctor.banned is not None else "no connection"
        if doctor.banned is None and reachable:
            return False
        doctor.add(name, Status.SKIP, f"not checked: {reason}")
        return True

    if not skipped("clock"):
        doctor.clock()
    doctor.add("key type", Status.OK, f"{client.auth.key_type} (API key {client.auth.masked_api_key})")
    if not skipped("credentials"):
        doctor.credentials()
    doctor.weight()
    if doctor.banned is None and not reachable:
        doctor.add("ban", Status.SKIP, "not known: no connection")
    else:
        doctor.ban()
    return doctor.checks
