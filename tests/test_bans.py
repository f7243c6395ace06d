"""The process-wide book of bans and Retry-Afters (`binance_papi._bans`), and the CLI's state file.

README, "Bans are remembered": a block is kept per `scheme://host:port`, never shortened by a later, shorter
one, clamped to 3 days; the CLI saves the running blocks to `$XDG_CACHE_HOME/binance-papi/bans.json` (else
`~/.cache/...`) and loads them on its next run. A missing or damaged file is ignored, never an error. The
clients' use of the book (nothing sent while a block runs) is in test_retry_decisions.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from binance_papi import IPBannedError, RateLimitError
from binance_papi._bans import BanBook, origin_of, state_file

ORIGIN = "https://papi.binance.com:443"
OTHER = "https://testnet.binance.vision:443"


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mono, self.wall = 1000.0, 1_700_000_000.0
        monkeypatch.setattr(time, "monotonic", lambda: self.mono)
        monkeypatch.setattr(time, "time", lambda: self.wall)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def ban(code: int | None = -1003) -> IPBannedError:
    return IPBannedError(status_code=418, code=code, message="banned", method="GET", path="/papi/v1/balance")


def limit() -> RateLimitError:
    return RateLimitError(status_code=429, code=None, message="slow down", method="GET", path="/papi/v1/balance")


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://papi.binance.com", "https://papi.binance.com:443"),
        ("https://papi.binance.com/papi/v1/balance?x=1", "https://papi.binance.com:443"),
        ("http://127.0.0.1", "http://127.0.0.1:80"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://Example.invalid:8443", "https://example.invalid:8443"),
    ],
)
def test_a_block_is_kept_per_scheme_host_and_port(url: str, origin: str) -> None:
    import httpx

    assert origin_of(url) == origin
    assert origin_of(httpx.URL(url)) == origin


def test_a_block_runs_for_its_seconds_then_ends(clock: Clock) -> None:
    book = BanBook()
    error = ban()
    assert book.active(ORIGIN) is None
    book.note(ORIGIN, error, 60)
    assert book.active(ORIGIN) == (error, 60.0)
    assert book.active(OTHER) is None
    clock.advance(59.5)
    assert book.active(ORIGIN) == (error, 0.5)
    clock.advance(0.5)
    assert book.active(ORIGIN) is None
    clock.advance(-1)  # the ended block was forgotten, not only hidden
    assert book.active(ORIGIN) is None


def test_a_longer_block_is_never_shortened(clock: Clock) -> None:
    book = BanBook()
    long, short = ban(), limit()
    book.note(ORIGIN, long, 120)
    book.note(ORIGIN, short, 10)
    assert book.active(ORIGIN) == (long, 120.0)
    book.note(ORIGIN, short, 120)  # as long: the first one stays
    assert book.active(ORIGIN) == (long, 120.0)
    book.note(ORIGIN, short, 121)
    assert book.active(ORIGIN) == (short, 121.0)


def test_a_block_is_clamped_to_three_days_and_never_negative(clock: Clock) -> None:
    book, error = BanBook(), ban()
    book.note(ORIGIN, error, 10**9)
    assert book.active(ORIGIN) == (error, 259_200.0)
    book.note(OTHER, ban(), -5)
    assert book.active(OTHER) is None
    book.clear()
    assert book.active(ORIGIN) is None


def test_running_blocks_survive_a_save_and_a_load(clock: Clock, tmp_path: Path) -> None:
    path = tmp_path / "cache" / "binance-papi" / "bans.json"
    book = BanBook()
    book.note(ORIGIN, ban(code=-1003), 300)
    book.note(OTHER, limit(), 30)
    book.note("http://127.0.0.1:80", limit(), 5)
    clock.advance(10)  # the last one has ended: not saved
    book.save(path)
    assert json.loads(path.read_text(encoding="utf-8")) == {
        ORIGIN: {"until": clock.wall + 290, "status": 418, "code": -1003},
        OTHER: {"until": clock.wall + 20, "status": 429, "code": None},
    }
    assert [p.name for p in path.parent.iterdir()] == ["bans.json"]  # written aside, then moved in place

    clock.advance(5)
    loaded = BanBook()
    loaded.load(path)
    banned = loaded.active(ORIGIN)
    assert banned is not None
    error, remaining = banned
    assert type(error) is IPBannedError
    assert remaining == 285.0
    assert (error.status_code, error.code, error.retry_after) == (418, -1003, 285.0)
    assert (error.method, error.path, error.message) == ("-", "-", "remembered from an earlier run")
    assert error.hint == f"Send nothing until the ban has passed (state file: {path})"
    limited = loaded.active(OTHER)
    assert limited is not None
    assert type(limited[0]) is RateLimitError
    assert (limited[0].status_code, limited[0].code, limited[1]) == (429, None, 15.0)


def test_nothing_to_save_writes_no_file_but_empties_an_old_one(clock: Clock, tmp_path: Path) -> None:
    path = tmp_path / "binance-papi" / "bans.json"
    BanBook().save(path)
    assert not path.exists()
    book = BanBook()
    book.note(ORIGIN, ban(), 1)
    book.save(path)
    clock.advance(1)
    book.save(path)
    assert json.loads(path.read_text(encoding="utf-8")) == {}


def test_a_state_file_that_cannot_be_written_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    book = BanBook()
    book.note(ORIGIN, ban(), 60)
    book.save(blocker / "binance-papi" / "bans.json")  # its directory cannot be made: no error
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[1, 2]",
        '"text"',
        "[" * 100_000,
        '{"https://a.invalid:443": 5}',
        '{"https://a.invalid:443": {"until": "soon", "status": 418}}',
        '{"https://a.invalid:443": {"until": true, "status": 418}}',
        '{"https://a.invalid:443": {"until": 1699999999, "status": 418}}',  # over
        '{"https://a.invalid:443": {"until": 1700000000, "status": 418}}',  # ends now
        '{"https://a.invalid:443": {"status": 418}}',
    ],
)
def test_a_damaged_or_stale_state_file_is_ignored(clock: Clock, tmp_path: Path, content: str) -> None:
    path = tmp_path / "bans.json"
    path.write_text(content, encoding="utf-8")
    book = BanBook()
    book.load(path)
    assert book.active("https://a.invalid:443") is None
    book.load(tmp_path / "missing.json")


def test_a_state_file_entry_is_read_leniently_but_safely(clock: Clock, tmp_path: Path) -> None:
    path = tmp_path / "bans.json"
    entries = {
        "https://a.invalid:443": {"until": clock.wall + 60.5, "status": 429, "code": "-1003"},  # a code as text: none
        "https://b.invalid:443": {"until": clock.wall + 30, "code": -1003},  # no status: a rate limit
        "https://c.invalid:443": {"until": clock.wall + 10**9, "status": 418, "code": True},  # clamped; bool: no code
    }
    # Entries it cannot use come first: each is skipped, and the ones after it are still read.
    unusable = {"5": [1], "https://old.invalid:443": {"until": clock.wall - 1, "status": 418}}
    path.write_text(json.dumps({**unusable, **entries}), encoding="utf-8")
    book = BanBook()
    book.load(path)
    seen: dict[str, tuple[str, int, int | None, float]] = {}
    for origin in entries:
        active = book.active(origin)
        assert active is not None, origin
        error, remaining = active
        seen[origin] = (type(error).__name__, error.status_code, error.code, remaining)
    assert seen == {
        "https://a.invalid:443": ("RateLimitError", 429, None, 60.5),
        "https://b.invalid:443": ("RateLimitError", 429, -1003, 30.0),
        "https://c.invalid:443": ("IPBannedError", 418, None, 259_200.0),
    }


def test_a_huge_state_file_is_read_only_in_part(clock: Clock, tmp_path: Path) -> None:
    path = tmp_path / "bans.json"
    entry = json.dumps({ORIGIN: {"until": clock.wall + 60, "status": 418}})
    path.write_text(entry[:-1] + " " * (100_001 - len(entry)) + "}", encoding="utf-8")  # valid, 100 001 characters
    book = BanBook()
    book.load(path)
    assert book.active(ORIGIN) is None
    path.write_text(entry[:-1] + " " * (100_000 - len(entry)) + "}", encoding="utf-8")  # exactly 100 000
    book.load(path)
    assert book.active(ORIGIN) is not None


@pytest.mark.parametrize(
    ("xdg", "under_home"),
    [(None, True), ("", True), ("relative/cache", True), ("/abs/cache", False)],
)
def test_the_state_file_is_in_the_user_s_cache_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None, under_home: bool
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    root = tmp_path / ".cache" if under_home else Path(str(xdg))
    assert state_file() == root / "binance-papi" / "bans.json"
