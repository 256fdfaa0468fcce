"""Where ESC/POS jobs go: a network printer's raw port, or a device / file. Blocking: call off the UI thread.

    tcp://host[:port]     raw socket (port 9100 unless given), the usual Ethernet / Wi-Fi receipt printer
    /dev/usb/lp0          a device that must exist (a missing printer is an error, never a new file in /dev)
    file:///path/out.bin  a file, created if needed and appended to (tests, capturing jobs)

Every wait has a deadline: an offline printer is a `PrinterError` with a stable code within the timeout.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from shared.errors import Code

from .errors import TillError

DEFAULT_PORT = 9100
CLOSE_WAIT_S = 2.0  # at most this long for the printer to close its side once it has the whole job


class PrinterError(TillError):
    """The job did not reach the printer; `code` is stable (ui/words.py says it in words)."""


class Printer(Protocol):
    def send(self, job: bytes) -> None: ...


@dataclass(frozen=True)
class TcpPrinter:
    host: str
    port: int = DEFAULT_PORT
    timeout_s: float = 5.0

    def send(self, job: bytes) -> None:
        """Connect, write the whole job, half-close and give the printer a moment to close its side."""
        deadline = time.monotonic() + self.timeout_s
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except TimeoutError:
            raise PrinterError(Code.PRINTER_TIMEOUT, f"{self.host}:{self.port}") from None
        except socket.gaierror as exc:
            raise PrinterError(Code.PRINTER_ADDRESS, f"{self.host}: {exc.strerror}") from None
        except OSError as exc:  # refused, no route, network down: the printer is off or not there
            raise PrinterError(Code.PRINTER_OFFLINE, f"{self.host}:{self.port}: {exc.strerror or exc}") from None
        with sock:
            try:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                sock.sendall(job)  # the timeout bounds the whole call (Python >= 3.5)
                sock.shutdown(socket.SHUT_WR)
            except TimeoutError:
                raise PrinterError(Code.PRINTER_TIMEOUT, f"{self.host}:{self.port}: not reading") from None
            except OSError as exc:
                raise PrinterError(Code.PRINTER_IO, f"{self.host}:{self.port}: {exc.strerror or exc}") from None
            self._drain(sock, min(CLOSE_WAIT_S, self.timeout_s))

    @staticmethod
    def _drain(sock: socket.socket, wait_s: float) -> None:
        # Closing with unread bytes from the printer (automatic status back) would reset the connection and could
        # drop the tail of the job still in flight; printers that keep the connection open are waited for briefly.
        sock.settimeout(wait_s)
        try:
            while sock.recv(256):
                pass
        except OSError:
            pass


@dataclass(frozen=True)
class FilePrinter:
    path: Path
    create: bool = False  # file:// URLs: a capture file; bare paths: a device that must be there
    timeout_s: float = 5.0

    def send(self, job: bytes) -> None:
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
        if self.create:
            flags |= os.O_CREAT
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:  # ENOENT/ENODEV: unplugged or switched off; ENXIO: a pipe without reader
            raise PrinterError(Code.PRINTER_OFFLINE, f"{self.path}: {exc.strerror}") from None
        try:
            self._write_all(fd, job)
        finally:
            os.close(fd)

    def _write_all(self, fd: int, job: bytes) -> None:
        # Non-blocking writes with a deadline: a device whose printer is out of paper stops taking bytes, and a
        # blocking write would then hold the print thread for ever. (Windows has no O_NONBLOCK: writes block.)
        deadline = time.monotonic() + self.timeout_s
        view = memoryview(job)
        while view:
            try:
                view = view[os.write(fd, view) :]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno != errno.EAGAIN:
                    raise PrinterError(Code.PRINTER_IO, f"{self.path}: {exc.strerror}") from None
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise PrinterError(Code.PRINTER_TIMEOUT, f"{self.path}: not taking data")


def open_printer(target: str, *, timeout_s: float = 5.0) -> Printer:
    """The printer a setting or `--escpos` names; a malformed one is a PrinterError(Code.PRINTER_ADDRESS)."""
    target = target.strip()
    if target.startswith("tcp://"):
        parts = urlsplit(target)
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise PrinterError(Code.PRINTER_ADDRESS, target) from None
        if not parts.hostname or parts.path not in ("", "/"):
            raise PrinterError(Code.PRINTER_ADDRESS, target)
        return TcpPrinter(parts.hostname, port, timeout_s)
    if target.startswith("file://"):
        parts = urlsplit(target)
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise PrinterError(Code.PRINTER_ADDRESS, target)
        path = unquote(parts.path)
        if os.name == "nt" and path[2:3] == ":":  # file:///C:/receipts/out.bin
            path = path[1:]
        return FilePrinter(Path(path), create=True, timeout_s=timeout_s)
    if "://" in target or not target:
        raise PrinterError(Code.PRINTER_ADDRESS, target or "(empty)")
    return FilePrinter(Path(target), create=False, timeout_s=timeout_s)
