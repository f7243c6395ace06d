"""The weight governor: never send a request that would take the IP over Binance's weight limit.

Binance counts request weight per IP (6000 a minute for the Portfolio Margin API), shared by every process
and key behind that IP, and answers 429 past it (then 418, a ban, for continuing). The governor keeps one
count per API host, shared by every client of the process (sync and async alike, `governor_for`):

- **Before a request** (`acquire` / `acquire_async`) it reserves the operation's weight, which the
  generated code puts in the request (`extensions["papi_weight"]`, from the spec's `x-weight`). When the
  reservation would take the window's count over `limit - headroom`, the request waits (in arrival order)
  instead of being sent: a thread blocks on an event, a coroutine awaits a future, so the event loop runs
  on. A wait longer than `max_wait` raises `WeightBudgetExceeded` at once, saying how long it would have
  been; nothing was sent and nothing is counted.
- **After each answer** (`settle`) it takes the server's own count, `X-MBX-USED-WEIGHT-1M`, which includes
  the weight every other process and tool on the IP spent: the window's count is the highest value the
  server reported in it, plus the weight still in flight. A request that got no answer (`fail`: timeout,
  reset, cancellation while sending) may have been counted, so its weight stays reserved until its window
  ends. A 429 or 418 with `Retry-After` holds every request of the host until it has passed.
- **Windows** are fixed and aligned on the server's clock, as Binance's are (the count resets at each
  minute of the server's clock). The governor places them from the responses' `Date` headers: each answer
  bounds the server clock minus the local one to an interval (the server's second was read between sending
  and receiving), and the intersection of those intervals narrows to a few ms. Right after a boundary,
  until an answer shows the server in the new window, only requests that would also fit in what the old
  window has left (the headroom) go out, so a clock estimate a little early never costs a 429.
- **Several processes** on one IP each run a governor and see each other only through the header. Until an
  answer of a window has given the server's count, at most the headroom is in flight (at least one
  request); after that, at most half of what is left: two processes filling the same window from the same
  header stay under it.

The state is visible as a `GovernorState` (`client.governor_state()`). Configure a client with
`signed_client(..., governor=GovernorConfig(limit=..., headroom=..., max_wait=...))`; `governor=None` turns
it off for that client.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from ._errors import RequestValidationError, WeightBudgetExceeded, used_weight

if TYPE_CHECKING:
    import asyncio

    import httpx

__all__ = [
    "DEFAULT_GOVERNOR",
    "Governor",
    "GovernorConfig",
    "GovernorState",
    "Ticket",
    "governor_for",
    "read_answer",
    "reset_governors",
]

BINANCE_WEIGHT_LIMIT: Final = 6000
"""Binance's documented IP weight limit for the Portfolio Margin API, per minute."""


@dataclass(frozen=True, slots=True)
class GovernorConfig:
    """How a client's requests are paced. Clients of one host share the count; each applies its own limits.

    Args:
        limit: the IP's weight limit per window (Binance: 6000 a minute).
        headroom: the fraction of `limit` left unused, for other processes' weight spent between two of our
            answers and for clock uncertainty at the window boundary (default 5%: 300 of 6000).
        max_wait: the longest a request may wait for room, in seconds; a longer wait raises
            `WeightBudgetExceeded` without sending (default 60 s: one window).
        window_s: the window length in seconds (Binance: 60). Clients of one host should agree on it.
    """

    limit: int = BINANCE_WEIGHT_LIMIT
    headroom: float = 0.05
    max_wait: float = 60.0
    window_s: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise RequestValidationError(f"governor limit must be a positive integer, got {self.limit!r}")
        if not 0 <= self.headroom < 1:
            raise RequestValidationError(f"governor headroom must be a fraction in [0, 1), got {self.headroom!r}")
        if not 0 <= self.max_wait < math.inf:
            raise RequestValidationError(f"governor max_wait must be finite seconds >= 0, got {self.max_wait!r}")
        if not 0.001 <= self.window_s < math.inf:
            raise RequestValidationError(f"governor window_s must be at least 0.001 s, got {self.window_s!r}")

    @property
    def cap(self) -> int:
        """The weight the governor lets a window reach: `limit` minus the headroom (at least 1)."""
        return max(1, self.limit - math.ceil(self.limit * self.headroom))


DEFAULT_GOVERNOR: Final = GovernorConfig()


@dataclass(frozen=True, slots=True)
class GovernorState:
    """A snapshot of a governor, as one client sees it (its own limit and headroom)."""

    used: int
    """The IP's weight in the current window as the server last reported it (every process on the IP)."""
    reserved: int
    """Weight of this process's requests in flight, plus failed ones kept until their window ends."""
    limit: int
    cap: int
    """`limit` minus the headroom: what the governor lets the window reach."""
    available: int
    """Weight the governor would let this client send now, without waiting (0 while a 429/418 holds)."""
    next_window_in: float
    """Seconds until the server's next window starts (by the governor's estimate of the server clock)."""
    waiting: int
    """Requests of this process waiting for room."""
    blocked_for: float
    """Seconds a 429's or 418's Retry-After still holds every request to the host (0 when none)."""
    clock_uncertainty_ms: float | None
    """Half the width of the server-clock estimate from `Date` headers; None before any answer."""


@dataclass(slots=True)
class Ticket:
    """A reservation: `weight` counted in flight from `acquire` until `settle` or `fail`."""

    weight: int
    window: int
    sent: float
    """Local wall-clock time (s) when the reservation was granted."""
    done: bool = False


class _Waiter:
    __slots__ = ("cap", "future", "granted", "limit", "loop", "thread_event", "weight")

    def __init__(self, weight: int, cap: int, limit: int) -> None:
        self.weight = weight
        self.cap = cap
        self.limit = limit
        self.granted: Ticket | None = None
        self.thread_event: threading.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.future: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.thread_event is not None:
            self.thread_event.set()
        elif self.loop is not None and self.future is not None:
            future = self.future
            self.loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_date_cache: tuple[str, int | None] = ("", None)


def _date_seconds(value: str) -> int | None:
    """An HTTP `Date` header as epoch seconds (cached: it changes once a second)."""
    global _date_cache  # noqa: PLW0603  (a one-entry cache; a race only costs a re-parse)
    cached = _date_cache
    if cached[0] == value:
        return cached[1]
    import calendar  # here: `import binance_papi` stays light (a Date changes once a second)
    from email.utils import parsedate

    parsed = parsedate(value)
    seconds = calendar.timegm((*parsed[:6], 0, 0, 0)) if parsed is not None else None
    _date_cache = (value, seconds)
    return seconds


class Governor:
    """One IP-weight count for one API host; shared by the process's clients of that host (`governor_for`).

    All state is guarded by one lock; waiting happens outside it. `clock` is the local wall clock in
    seconds (tests inject one).
    """

    def __init__(self, window_s: float = 60.0, *, clock: Callable[[], float] = time.time) -> None:
        self.window_ms = round(window_s * 1000)
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: deque[_Waiter] = deque()
        # Server clock minus local clock (ms): the interval every Date header so far allows.
        self._offset_lo = -math.inf
        self._offset_hi = math.inf
        self._offset = 0.0  # the offset used: see `_offset_ms` (kept, as it is read on every request)
        self._index = self._window_of(self._server_ms(clock()))
        self._used = 0  # the highest X-MBX-USED-WEIGHT-1M answered in the current window
        self._held = 0  # weight of failed requests of the current window, kept until it ends
        self._pending = 0  # weight reserved and in flight (any window)
        self._prev_used = 0  # the previous window's count, while the new one is unconfirmed
        self._confirmed = True  # an answer has shown the server in the current window
        self._heard = False  # an answer of the current window has given its count
        self._own = 0  # weight of our answers counted in the current window
        self._used_at = 0.0  # local time of the answer that gave `_used`
        self._blocked_until = 0.0  # local time before which nothing is sent (429/418 Retry-After)

    # --- clock and windows ---------------------------------------------------------------------------------

    def _offset_ms(self) -> float:
        """Server minus local clock: the lowest the Date headers allow, so windows roll late rather than early."""
        return self._offset

    def _uncertainty_ms(self) -> float | None:
        lo, hi = self._offset_lo, self._offset_hi
        return None if lo == -math.inf or hi == math.inf else (hi - lo) / 2

    def _server_ms(self, local_s: float) -> float:
        return local_s * 1000 + self._offset

    def _window_of(self, server_ms: float) -> int:
        return int(server_ms // self.window_ms)

    def _local_s(self, server_ms: float) -> float:
        return (server_ms - self._offset) / 1000

    def _grace_ms(self) -> float:
        """How long after a boundary, without an answer from the new window, it is taken as started anyway."""
        uncertainty = self._uncertainty_ms()
        return min(self.window_ms / 4, 1000.0 if uncertainty is None else uncertainty + 20)

    def _roll(self, now: float) -> None:
        index = int((now * 1000 + self._offset) // self.window_ms)  # _window_of(_server_ms(now)), inlined: hot
        if index > self._index:
            self._enter(index, confirmed=False)

    def _enter(self, index: int, *, confirmed: bool) -> None:
        """Start window `index`: the current one becomes the previous (or nothing, when one was skipped)."""
        self._prev_used = self._used + self._held if index == self._index + 1 else 0
        self._index = index
        self._used = 0
        self._held = 0
        self._heard = False
        self._own = 0
        # Nothing counted and nothing in flight in the old window: the server's window does not matter.
        self._confirmed = confirmed or (self._prev_used == 0 and self._pending == 0)

    def _learn_offset(self, seconds: int, sent: float, received: float) -> None:
        """Narrow the server-clock interval with one answer's Date, in epoch `seconds` (read in [sent, received])."""
        lo = seconds * 1000 - received * 1000
        hi = seconds * 1000 + 1000 - sent * 1000
        new_lo, new_hi = max(lo, self._offset_lo), min(hi, self._offset_hi)
        if new_lo > new_hi:  # the clocks moved (a step, drift, or a server with another clock): start over
            new_lo, new_hi = lo, hi
        self._offset_lo, self._offset_hi = new_lo, new_hi
        self._offset = new_lo  # both ends are finite now
        # A window placed on a worse estimate of the server clock is placed again, keeping its count.
        self._index = min(self._index, int((received * 1000 + new_lo) // self.window_ms))

    # --- the rule --------------------------------------------------------------------------------------------

    def _fits(self, weight: int, cap: int, limit: int, now: float) -> bool:
        if now < self._blocked_until:
            return False
        weight = min(weight, cap)
        counted = self._used + self._held
        pending = self._pending
        if counted + pending + weight > cap:
            return False
        if pending:
            if not self._heard:
                # One at a time until an answer of the window gives the server's count: another process may
                # have spent all of it but the headroom, which a blind burst of several processes would exceed.
                return False
            # What other processes have spent since the server last told us, at the pace they have kept this
            # window: when that would not fit, only a request that refreshes the count goes out (none in flight).
            counted += self._others_since(now)
            if counted + pending + weight > cap:
                return False
            if pending + weight > (cap - counted) * self._own_share() / 2:
                # Then at most half of this process's share of what is left (its part of the window's weight
                # so far): processes filling the window from counts a little old stay under it together.
                return False
        return self._confirmed or self._old_window_allows(weight + pending, limit, now)

    def _old_window_allows(self, in_flight: int, limit: int, now: float) -> bool:
        """Right after a boundary, the server may still be in the old window: only what that one has left goes."""
        if self._confirmed:
            return True
        if self._server_ms(now) - self._index * self.window_ms >= self._grace_ms():
            self._confirmed = True
            return True
        return self._prev_used + in_flight <= limit

    def _own_share(self) -> float:
        """This process's part of the weight the server counted this window (1 when it is alone)."""
        if self._used <= 0 or self._own >= self._used:
            return 1.0
        return max(0.1, self._own / self._used)

    def _others_since(self, now: float) -> int:
        """Weight other processes likely spent since the latest count: their pace this window times its age."""
        others = self._used - self._own
        start_s = self._local_s(self._index * self.window_ms)
        elapsed = self._used_at - start_s
        if others <= 0 or elapsed < self.window_ms / 20000:
            return 0
        return math.ceil(others / elapsed * max(0.0, now - self._used_at))

    def _grant(self, weight: int, now: float) -> Ticket:
        self._pending += weight
        return Ticket(weight, self._index, now)

    def _pump(self, now: float) -> None:
        """Grant waiting requests in arrival order while they fit. Called with the lock held."""
        queue = self._queue
        while queue:
            head = queue[0]
            if not self._fits(head.weight, head.cap, head.limit, now):
                return
            queue.popleft()
            head.granted = self._grant(head.weight, now)
            head.wake()

    def _next_event_in(self, now: float) -> float:
        """Seconds until something other than an answer can let a waiter through (a boundary, a grace end)."""
        start = self._index * self.window_ms
        events = [self._local_s(start + self.window_ms)]
        if not self._confirmed:
            events.append(self._local_s(start + self._grace_ms()))
        if self._blocked_until > now:
            events.append(self._blocked_until)
        return max(0.001, min(events) - now)

    def _sure_wait(self, weight: int, config: GovernorConfig, now: float) -> float:
        """The wait that answers cannot shorten: a Retry-After, or the window's end when the count is full."""
        wait = max(0.0, self._blocked_until - now)
        if self._used + self._held + min(weight, config.cap) > config.cap:
            next_start = self._local_s((self._index + 1) * self.window_ms)
            wait = max(wait, next_start - now)
        return wait

    def _refusal(self, weight: int, config: GovernorConfig, now: float) -> WeightBudgetExceeded | None:
        """The error for a request whose wait is sure to exceed max_wait, or None."""
        wait = self._sure_wait(weight, config, now)
        if wait > config.max_wait:
            return self._error(weight, config, wait, waited=0.0)
        return None

    def _error(self, weight: int, config: GovernorConfig, wait: float, *, waited: float) -> WeightBudgetExceeded:
        return WeightBudgetExceeded(
            weight=weight,
            wait=wait,
            waited=waited,
            used=self._used,
            reserved=self._pending + self._held,
            limit=config.limit,
            cap=config.cap,
            max_wait=config.max_wait,
        )

    # --- acquiring -------------------------------------------------------------------------------------------

    def _ticket_now(self, weight: int, config: GovernorConfig, now: float) -> Ticket | None:
        """A ticket when `weight` fits now and no one is queued, else None. Called with the lock held."""
        if not self._queue and self._fits(weight, config.cap, config.limit, now):
            self._pending += weight  # `_grant`, inlined: the path of every request
            return Ticket(weight, self._index, now)
        return None

    def acquire_now(self, weight: int, config: GovernorConfig) -> Ticket | None:
        """A ticket when `weight` fits now and no one is queued (the usual case), else None and nothing changes.

        The async client's fast path: no coroutine when there is room; otherwise it awaits `acquire_async`.
        """
        with self._lock:
            now = self._clock()
            self._roll(now)
            return self._ticket_now(weight, config, now)

    def _try_acquire(self, weight: int, config: GovernorConfig, deadline: float | None) -> Ticket | _Waiter:
        """A ticket now, or a queued waiter; raises when the wait would exceed max_wait. Takes the lock."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            ticket = self._ticket_now(weight, config, now)
            if ticket is not None:
                return ticket
            refusal = self._refusal(weight, _bounded(config, deadline), now)
            if refusal is not None:
                raise refusal
            waiter = _Waiter(weight, config.cap, config.limit)
            self._queue.append(waiter)
            return waiter

    def _check_waiter(self, waiter: _Waiter, config: GovernorConfig, started: float) -> Ticket | float:
        """After a wake-up: the ticket, or the seconds to wait next; raises past max_wait. Takes the lock."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            self._pump(now)
            if waiter.granted is not None:
                return waiter.granted
            waited = time.monotonic() - started
            wait = self._sure_wait(waiter.weight, config, now)
            if waited + wait > config.max_wait or waited >= config.max_wait:
                self._remove(waiter)
                raise self._error(waiter.weight, config, waited + wait, waited=waited)
            left = config.max_wait - waited
            return min(left, self._next_event_in(now))

    def _remove(self, waiter: _Waiter) -> None:
        """Take a waiter out of the queue, or give its grant back. Called with the lock held."""
        if waiter.granted is not None:
            self._release(waiter.granted)
            waiter.granted = None
        else:
            with contextlib.suppress(ValueError):
                self._queue.remove(waiter)
        self._pump(self._clock())

    def _release(self, ticket: Ticket) -> None:
        if not ticket.done:
            ticket.done = True
            self._pending -= ticket.weight

    def acquire(self, weight: int, config: GovernorConfig, deadline: float | None = None) -> Ticket:
        """Reserve `weight`, blocking the calling thread until it fits; raises `WeightBudgetExceeded`.

        `deadline` (a `time.monotonic()` time): no wait for room runs past it either (`max_wait` is cut to
        what is left of it).
        """
        first = self._try_acquire(weight, config, deadline)
        if isinstance(first, Ticket):
            return first
        config = _bounded(config, deadline)
        waiter = first
        event = waiter.thread_event = threading.Event()
        started = time.monotonic()
        try:
            while True:
                outcome = self._check_waiter(waiter, config, started)
                if isinstance(outcome, Ticket):
                    return outcome
                event.wait(outcome)
                event.clear()
        except BaseException:
            with self._lock:
                if waiter.granted is not None or waiter in self._queue:
                    self._remove(waiter)
            raise

    async def acquire_async(self, weight: int, config: GovernorConfig, deadline: float | None = None) -> Ticket:
        """Reserve `weight`, awaiting (never blocking the loop) until it fits; a cancelled wait reserves nothing.

        `deadline`: as for `acquire`.
        """
        first = self._try_acquire(weight, config, deadline)
        if isinstance(first, Ticket):
            return first
        import asyncio  # here: sync users never import it

        config = _bounded(config, deadline)
        waiter = first
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            while True:
                with self._lock:
                    waiter.loop = loop
                    waiter.future = loop.create_future()
                    future = waiter.future
                outcome = self._check_waiter(waiter, config, started)
                if isinstance(outcome, Ticket):
                    return outcome
                await asyncio.wait((future,), timeout=outcome)
        except BaseException:
            with self._lock:
                if waiter.granted is not None or waiter in self._queue:
                    self._remove(waiter)
            raise

    # --- answers ---------------------------------------------------------------------------------------------

    def settle(self, ticket: Ticket, response: httpx.Response) -> None:
        """Count an answer: its `X-MBX-USED-WEIGHT-1M`, its `Date`, and a 429/418's `Retry-After`."""
        used, date, retry_after = read_answer(response)
        self.record(ticket, used=used, date=date, retry_after=retry_after)

    def record(
        self, ticket: Ticket | None, *, used: int | None, date: str | None = None, retry_after: float | None = None
    ) -> None:
        """Count an answer given as values (`settle` reads them from a response); `ticket` None: not ours."""
        seconds = _date_seconds(date) if date is not None else None
        with self._lock:
            now = self._clock()
            if seconds is not None:
                self._learn_offset(seconds, ticket.sent if ticket is not None else now, now)
            self._roll(now)  # before the release: weight in flight across a boundary leaves it unconfirmed
            if ticket is not None:
                self._release(ticket)
            window = self._answer_window(seconds, ticket, now)
            if window > self._index:
                self._enter(window, confirmed=True)
            if window == self._index:
                self._confirmed = True
                if ticket is not None:
                    self._own += ticket.weight
                if used is not None:
                    self._heard = True
                    if used >= self._used:
                        self._used, self._used_at = used, now
            elif window == self._index - 1 and used is not None and used > self._prev_used:
                self._prev_used = used
            if retry_after is not None and retry_after > 0:
                self._blocked_until = max(self._blocked_until, now + retry_after)
            self._pump(now)

    def _answer_window(self, seconds: int | None, ticket: Ticket | None, now: float) -> int:
        """The server window an answer was counted in: from its Date's `seconds` when that decides, else the clock."""
        if seconds is not None:
            window_ms = self.window_ms
            first = seconds * 1000 // window_ms
            if first == (seconds * 1000 + 999) // window_ms:
                return first
        sent = ticket.sent if ticket is not None else now
        return self._window_of(self._server_ms((sent + now) / 2))

    def fail(self, ticket: Ticket) -> None:
        """No answer (timeout, reset, cancelled in flight): it may have been counted; keep it to its window's end."""
        with self._lock:
            if ticket.done:
                return
            now = self._clock()
            self._roll(now)
            self._release(ticket)
            if ticket.window == self._index:
                self._held += ticket.weight
            elif ticket.window == self._index - 1:
                self._prev_used += ticket.weight
            self._pump(now)

    # --- state -----------------------------------------------------------------------------------------------

    def state(self, config: GovernorConfig = DEFAULT_GOVERNOR) -> GovernorState:
        with self._lock:
            now = self._clock()
            self._roll(now)
            blocked_for = max(0.0, self._blocked_until - now)
            counted = self._used + self._held
            available = 0 if blocked_for else max(0, config.cap - counted - self._pending)
            if not self._confirmed and self._server_ms(now) - self._index * self.window_ms < self._grace_ms():
                available = min(available, max(0, config.limit - self._prev_used - self._pending))
            next_start = self._local_s((self._index + 1) * self.window_ms)
            return GovernorState(
                used=self._used,
                reserved=self._pending + self._held,
                limit=config.limit,
                cap=config.cap,
                available=available,
                next_window_in=max(0.0, next_start - now),
                waiting=len(self._queue),
                blocked_for=blocked_for,
                clock_uncertainty_ms=self._uncertainty_ms(),
            )


def read_answer(response: httpx.Response) -> tuple[int | None, str | None, float | None]:
    """What the governor counts of an answer: its used weight, Date and Retry-After (a 429's or 418's).

    `X-MBX-USED-WEIGHT-1M` counts as the errors read it (`used_weight`), `Retry-After` (seconds) when it is
    ASCII digits; each is None when absent or not that.
    """
    headers = response.headers
    wait = headers.get("Retry-After") if response.status_code in (418, 429) else None
    retry_after = float(wait) if wait is not None and wait.isascii() and wait.isdigit() else None
    return used_weight(response), headers.get("Date"), retry_after


def _bounded(config: GovernorConfig, deadline: float | None) -> GovernorConfig:
    """`config`, its `max_wait` cut to what is left until `deadline` (`time.monotonic()`), if any."""
    if deadline is None:
        return config
    left = max(0.0, deadline - time.monotonic())
    return config if config.max_wait <= left else replace(config, max_wait=left)


_registry: dict[tuple[str, str, int, int], Governor] = {}
_registry_lock = threading.Lock()


def governor_for(base_url: str, window_s: float = 60.0) -> Governor:
    """The process's governor for an API host (scheme, host and port of `base_url`) and window length."""
    import httpx

    url = httpx.URL(base_url)
    port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
    key = (url.scheme, url.host, port, round(window_s * 1000))
    with _registry_lock:
        governor = _registry.get(key)
        if governor is None:
            governor = _registry[key] = Governor(window_s)
        return governor


def reset_governors() -> None:
    """Forget every host's governor (tests: a simulator reset between tests is a new IP history)."""
    with _registry_lock:
        _registry.clear()
