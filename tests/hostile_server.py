"""A raw-socket HTTP server that misbehaves on purpose, for tests/test_hostile.py.

Each connection runs `handler(connection, head)` on its own thread, where `head` is the request's line and
headers as received; the handler writes whatever bytes it likes (a trickle, a bomb, garbage) and returns.
The server records every request head, and counts connections still open (to catch leaked ones).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

Handler = Callable[[socket.socket, bytes], None]


class HostileServer:
    """Serves `handler` on 127.0.0.1 (a free port) from background threads until `close()`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.heads: list[bytes] = []
        self.open_connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with self._lock:
            self.open_connections += 1
        try:
            connection.settimeout(10)
            buffer = b""
            while True:  # keep-alive: one request after another on the connection
                while b"\r\n\r\n" not in buffer:
                    data = connection.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                with self._lock:
                    self.heads.append(head)
                self.handler(connection, head)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                connection.close()
            with self._lock:
                self.open_connections -= 1

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.heads)

    def wait_until_no_connection(self, within: float) -> bool:
        """True once no connection is open (the client closed them all), waiting at most `within` seconds."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            with self._lock:
                if self.open_connections == 0:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self._running = False
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() at once (Linux)
        self._listener.close()
        self._thread.join(timeout=2)


@contextlib.contextmanager
def hostile_server(handler: Handler) -> Iterator[HostileServer]:
    server = HostileServer(handler)
    try:
        yield server
    finally:
        server.close()


def answer(status: int, body: bytes, *headers: str, reason: str = "X") -> bytes:
    """A complete HTTP/1.1 answer with Content-Length."""
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def waits_for_close(connection: socket.socket) -> None:
    """Block until the client closes the connection (or 10 s pass): a server that never finishes."""
    with contextlib.suppress(OSError):
        while connection.recv(65536):
            pass
