"""Reading a signed query the way Binance does: from the raw bytes on the wire.

Parameters are percent-decoded (`+` as space) only to read their values; the signature is checked over
the raw bytes before `&signature=`, exactly as received. A server that re-encoded decoded parameters
before checking would hide the client bug this is meant to catch: signing one string and sending another.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["Rejection", "SignedQuery", "parse_signed_query"]


class Rejection(Exception):  # noqa: N818  (a Binance answer, not a simulator failure)
    """A request Binance would refuse: the HTTP status and the error body's code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"HTTP {status} {code} {msg}")
        self.status = status
        self.code = code
        self.msg = msg


def bad_request(code: int, msg: str) -> Rejection:
    return Rejection(400, code, msg)


@dataclass(frozen=True, slots=True)
class SignedQuery:
    """A parsed query: decoded parameters, the signed payload and the raw signature (None if not last)."""

    params: dict[str, str]
    payload: bytes
    signature: bytes | None


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request(-1100, "Illegal characters found in a parameter.") from None


def parse_signed_query(raw: bytes, allowed: frozenset[str]) -> SignedQuery:
    """Decode `raw`; refuse duplicates (-1101) and names outside `allowed` (-1103).

    The signature counts only as the very last parameter: a trailing `&` or a parameter after it leaves
    `signature` None (so the request fails with -1022).
    """
    segments = raw.split(b"&") if raw else []
    params: dict[str, str] = {}
    duplicate = False
    for segment in segments:
        if not segment:
            continue
        raw_name, _, raw_value = segment.partition(b"=")
        name = _decode(raw_name)
        if name in params:
            duplicate = True
        params[name] = _decode(raw_value)
    if duplicate:
        raise bad_request(-1101, "Duplicate values for a parameter detected.")
    if any(name not in allowed for name in params):
        raise bad_request(-1103, "An unknown parameter was sent.")
    signature: bytes | None = None
    payload = raw
    if segments:
        last_name, equals, last_value = segments[-1].partition(b"=")
        if equals and _decode(last_name) == "signature":
            signature = last_value
            payload = raw[: max(0, len(raw) - len(segments[-1]) - 1)]
    return SignedQuery(params, payload, signature)
