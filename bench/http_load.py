"""Keep-alive HTTP/1.1 clients in a closed loop, lean enough not to be the bottleneck.

Each client holds one connection and sends its next request as soon as the
previous answer is complete, as a browser or a test client does. The clients
are threads with plain sockets: on a two-core machine a heavier client (such as
``requests``) would measure itself as much as the server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Requests each client sends before the timed part starts.
WARMUP_REQUESTS = 3


@dataclass
class LoadResult:
    """What a closed-loop run achieved."""

    requests: int
    errors: int
    seconds: float
    #: Seconds from sending each request to its complete answer.
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0


class KeepAliveConnection:
    """One HTTP/1.1 connection that answers arrive on in order."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        # As HTTP clients such as urllib3 do.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = b""

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send ``request``; return the answer's status and body."""
        self._socket.sendall(request)
        while b"\r\n\r\n" not in self._pending:
            self._pending += self._receive()
        head, _, rest = self._pending.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += self._receive()
        self._pending = rest[length:]
        return status, rest[:length]

    def _receive(self) -> bytes:
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        """Close the connection."""
        self._socket.close()


def request_bytes(path: str, headers: Mapping[str, str] | None = None) -> bytes:
    """A GET request, byte for byte."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: bench"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def closed_loop(
    port: int,
    path: str,
    *,
    clients: int,
    seconds: float,
    expect: int = 200,
    headers: Mapping[str, str] | None = None,
    max_requests_per_client: int = 100_000,
) -> LoadResult:
    """``clients`` keep-alive clients for ``seconds`` (or their request budget), at full speed.

    An answer with another status than ``expect``, or a broken connection,
    counts as an error (the client reconnects).
    """
    request = request_bytes(path, headers)
    lock = threading.Lock()
    result = LoadResult(requests=0, errors=0, seconds=0.0)
    clock = {"began": 0.0, "deadline": 0.0, "last_answer": 0.0}

    def begin() -> None:  # run once, when every client is connected and warm
        clock["began"] = time.perf_counter()
        clock["deadline"] = clock["began"] + seconds

    ready = threading.Barrier(clients, action=begin)

    def client() -> None:
        latencies: list[float] = []
        errors = 0
        last_answer = 0.0
        connection: KeepAliveConnection | None = None
        try:
            connection = KeepAliveConnection(port)
            for _ in range(WARMUP_REQUESTS):
                connection.exchange(request)
        except OSError:
            errors += 1
        ready.wait(timeout=120)
        sent = 0
        while sent < max_requests_per_client and time.perf_counter() < clock["deadline"]:
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = KeepAliveConnection(port)
                status, _ = connection.exchange(request)
            except OSError:
                errors += 1
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.01)
                continue
            sent += 1
            answered = time.perf_counter()
            if status == expect:
                latencies.append(answered - began)
            else:
                errors += 1
            last_answer = answered
        if connection is not None:
            connection.close()
        with lock:
            result.requests += len(latencies)
            result.errors += errors
            result.latencies.extend(latencies)
            clock["last_answer"] = max(clock["last_answer"], last_answer)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = max(0.0, clock["last_answer"] - clock["began"])
    return result
