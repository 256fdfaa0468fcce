"""A real `paidui-server` for the cashier app's end-to-end tests: set up with its CLI, served on a loopback port."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from server.health_wait import wait_healthy

BIN = Path(sys.executable).parent
CODE = re.compile(r"\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}\b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PaiduiServer:
    """One server data directory; `start()`/`stop()` may be called several times (server down, then up)."""

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            "PAIDUI_DATA_DIR": str(data_dir),
            "PAIDUI_PUBLIC_URL": self.url,
            "PAIDUI_LOG_LEVEL": "warning",
        }

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "paidui-server"), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"paidui-server {' '.join(args)} failed: {done.stderr}")
        return done.stdout + done.stderr

    def setup(self, *, member_phone: str = "13800001234") -> str:
        """A store S1 with cashier C1 taking part, one member; returns the member id."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cli("init", "--admin-password", "secret-admin-1")
        self.cli("store", "add", "S1", "--name", "一号店")
        self.cli("cashier", "add", "C1", "--store", "S1")
        self.cli("settings", "set", "--inline", '{"enabled": true, "extraction_bp": 1000}')
        self.cli("settings", "set", "--store", "S1", "--inline", '{"enabled": true}')
        self.cli("level", "set", "gold", "金卡", "--en", "Gold", "--rank", "20")
        self.cli("level", "set", "silver", "银卡", "--en", "Silver", "--rank", "10")
        out = self.cli("member", "add", "--phone", member_phone, "--name", "张三", "--level", "gold")
        return out.split()[0]

    def enrolment_code(self) -> str:
        match = CODE.search(self.cli("terminal", "enroll", "S1"))
        assert match, "no enrolment code printed"
        return match.group(0)

    def start(self) -> None:
        with (self.data_dir / "serve.log").open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [str(BIN / "paidui-server"), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.proc, self.url, self.data_dir / "serve.log", timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        con = sqlite3.connect(self.data_dir / "paidui.db")
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


class SlowProxy:
    """A loopback TCP proxy that holds every chunk from the server for `delay` seconds (a slow network/server).

    With `blackhole=True` it accepts connections and never answers (the worst case: the client's timeout).
    """

    def __init__(self, upstream_port: int, *, delay: float = 2.0, blackhole: bool = False) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self.blackhole = blackhole
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)
        self._thread.start()
        self._ready.wait(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
        try:
            while chunk := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            if self.blackhole:
                await reader.read()  # until the client gives up (or close() ends the connection)
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            self._writers.add(up_writer)
            await asyncio.gather(self._pipe(reader, up_writer, 0), self._pipe(up_reader, writer, self.delay))
        except OSError:
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _main(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self._ready.set()
        async with server:
            await self._stop.wait()
        # End the connections rather than cancel the tasks: each handler then finishes on its own (EOF),
        # and a delayed chunk still sleeping is cut short by the connection being gone.
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.delay + 5)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()
