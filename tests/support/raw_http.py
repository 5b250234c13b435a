"""Requests sent byte for byte, for inputs an HTTP client would refuse or normalise."""

from __future__ import annotations

import socket

from tests.support.chalice_local import ChaliceLocal


def raw_get(
    server: ChaliceLocal, target: bytes, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """Send a request line byte for byte, past what an HTTP client would normalise."""
    lines = [b"GET " + target + b" HTTP/1.0", b"Host: 127.0.0.1"]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body
