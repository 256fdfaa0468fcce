"""A till pushes every few seconds on one kept-alive connection: the server must not close it after 5 s idle
(uvicorn's default), or a push sent at that moment fails on a closed socket (benchmarks/chain_scale.py saw 20–340
such errors a run with tills selling every 5 s)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server.support import database_location

from .conftest import start_server

pytestmark = pytest.mark.e2e


def _request(sock: socket.socket, host: str) -> bytes:
    sock.sendall(f"GET /api/v1/version HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            return data  # the server closed the connection
        data += chunk
    return data


@contextlib.contextmanager
def _server(tmp_path: Path) -> Iterator[str]:
    with (
        database_location("sqlite", tmp_path) as (url, schema),
        contextlib.contextmanager(start_server)(tmp_path, url, schema) as served,
    ):
        yield served.url


def test_an_idle_till_connection_outlives_the_default_five_seconds(tmp_path: Path) -> None:
    with _server(tmp_path) as url:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        with socket.create_connection((host, port), timeout=10) as sock:
            assert _request(sock, f"{host}:{port}").startswith(b"HTTP/1.1 200")
            time.sleep(7)  # a till that sold 7 s ago pushes its next sale on the same connection
            assert _request(sock, f"{host}:{port}").startswith(b"HTTP/1.1 200")
