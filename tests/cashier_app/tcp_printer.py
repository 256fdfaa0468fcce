"""A receipt printer on loopback for tests: a real TCP server that records every byte of every job (connection).

States a real printer has: online (accepts, reads to the end, closes), off (the port refuses: bound, not
listening), hung (its accept queue is full, so a connect is never answered) and stalled (accepts, never reads).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpPrinterStub:
    def __init__(self, *, online: bool = True) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.jobs: list[bytes] = []
        self.changed = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._held: list[socket.socket] = []
        if online:
            self.go_online()

    def go_online(self) -> None:
        """Start listening on the same port (a printer switched on)."""
        self.sock.listen(8)
        self._thread = threading.Thread(target=self._serve, name="tcp-printer", daemon=True)
        self._thread.start()

    def hang(self) -> None:
        """Listen but never accept, with the queue already full: the next connect is never answered."""
        self.sock.listen(0)
        self._held.append(socket.create_connection(("127.0.0.1", self.port), timeout=2))

    def stall(self) -> None:
        """Accept and then never read (a printer whose buffer is full); a small receive buffer (inherited by the
        accepted socket) so that a few megabytes fill loopback whatever the machine's autotuning allows."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.listen(8)

        def accept() -> None:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)

        self._thread = threading.Thread(target=accept, name="tcp-printer-stalled", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self._stop:
                conn.close()
                return
            chunks = []
            with conn:
                conn.settimeout(10)
                try:
                    while data := conn.recv(65536):
                        chunks.append(data)
                except OSError:
                    pass
            with self.changed:
                self.jobs.append(b"".join(chunks))
                self.changed.notify_all()

    def wait_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.jobs) >= count, timeout)
            return list(self.jobs)

    def close(self) -> None:
        self._stop = True
        if self._thread is not None and self._thread.is_alive():
            with contextlib.suppress(OSError):  # wake the accept() with one last connection
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            self._thread.join(timeout=5)
        for s in self._held:
            s.close()
        self.sock.close()
