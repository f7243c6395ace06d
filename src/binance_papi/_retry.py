"""When to send a request again, and after how long. Pure decisions: no I/O, no sleeping.

Written here rather than with a retry library because the rules are Binance's, not generic: wait for
`Retry-After` only within a cap, never touch a 418, re-sync the clock and retry a -1021 exactly once, and
bound both the attempts and the total time. The loops that act on these decisions live in `_http.py`,
above the signing hook, so every attempt is signed again with a fresh timestamp.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from ._errors import (
    APIError,
    IPBannedError,
    OutcomeUnknownError,
    PapiError,
    RateLimitError,
    ServerError,
    TimestampError,
    TransportError,
)

# Binance codes that mean "internal, try again" even when the status is not 5XX.
RETRYABLE_CODES = frozenset({-1001, -1007, -1008})


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries. `RetryPolicy.disabled()` sends every request exactly once."""

    max_attempts: int = 3
    """Attempts in all, the first included (a -1021 clock-fix retry does not count)."""
    backoff_base: float = 0.25
    """First backoff in seconds; doubles per attempt, with full jitter."""
    backoff_max: float = 4.0
    max_elapsed: float = 30.0
    """No retry starts when it would end past this many seconds after the first attempt."""
    max_retry_after: float = 10.0
    """A 429 is waited out only when its Retry-After is at most this; otherwise it is raised at once."""
    resync_on_timestamp_error: bool = True
    """On -1021, measure the server clock, store the offset and retry once."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("backoff_base", "backoff_max", "max_elapsed", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_attempts=1, resync_on_timestamp_error=False)


@dataclass
class RetryState:
    """The decisions for one call: how many attempts so far, and whether the clock was fixed already."""

    policy: RetryPolicy
    retry_safe: bool = True
    """Whether the operation may be sent again after a failure whose outcome is unknown (x-retry-safe).

    When not, only answers that say it was refused unexecuted (429 within the cap, -1021) are retried.
    """
    attempt: int = 1
    resynced: bool = False
    # Looked up on each call (not bound at import), so a test's patched clock applies to `started` too.
    started: float = field(default_factory=lambda: time.monotonic())  # noqa: PLW0108

    def wants_resync(self, error: PapiError) -> bool:
        """True once per call for a -1021, when the policy allows it: fix the clock, then retry."""
        if isinstance(error, TimestampError) and self.policy.resync_on_timestamp_error and not self.resynced:
            self.resynced = True
            return True
        return False

    def delay_before_retry(self, error: PapiError) -> float | None:
        """Seconds to wait before the next attempt, or None to raise `error` now."""
        if self.attempt >= self.policy.max_attempts or isinstance(error, IPBannedError):
            return None
        if not self.retry_safe and not isinstance(error, RateLimitError):
            return None
        if isinstance(error, RateLimitError):
            wait = error.retry_after
            if wait is None or wait > self.policy.max_retry_after:
                return None
        elif isinstance(error, (TransportError, ServerError, OutcomeUnknownError)) or (
            isinstance(error, APIError) and error.code in RETRYABLE_CODES
        ):
            ceiling = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (self.attempt - 1))
            wait = random.uniform(0.0, ceiling)  # noqa: S311  (jitter, not cryptography)
        else:
            return None
        if time.monotonic() - self.started + wait > self.policy.max_elapsed:
            return None
        self.attempt += 1
        return wait
