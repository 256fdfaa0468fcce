"""Run a blocking job off the UI thread and get its result back on the UI thread (Anki's operations pattern).

The job must not touch widgets; `on_done` / `on_failed` run on the UI thread through queued signals. An `owner`
widget that is gone by then (a dialog closed while its list was read) gets neither call.

Two kinds of pool: the global one for work that may run side by side (a QR matrix, a request to the server), and
`serial_pool()` — one thread that keeps jobs in the order they were asked — for the till's database and files
(`AppContext.pool`): a sale, then the report opened after it, read in that order; and the ESC/POS printer's jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

T = TypeVar("T")


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Op(QRunnable):
    def __init__(self, job: Callable[[], object]) -> None:
        super().__init__()
        self.job = job
        self.signals = _Signals()  # created on the UI thread, so its signals are delivered there

    def run(self) -> None:
        try:
            result = self.job()
        except Exception as exc:  # handed to the UI thread, which decides what to say
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_running: dict[_Op, QThreadPool | None] = {}  # until its answer is handled; the pool it runs on (None: global)


def run_op(
    job: Callable[[], T],
    *,
    on_done: Callable[[T], None],
    on_failed: Callable[[Exception], None],
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
) -> None:
    """`pool`: a pool of its own (`serial_pool()`); the global pool by default."""
    op = _Op(job)
    op.setAutoDelete(False)
    _running[op] = pool

    def finish(callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def inner(value: Any) -> None:
            _running.pop(op, None)
            if owner is None or shiboken6.isValid(owner):
                callback(value)

        return inner

    op.signals.done.connect(finish(on_done))
    op.signals.failed.connect(finish(on_failed))
    (pool or QThreadPool.globalInstance()).start(op)


def idle(pool: QThreadPool | None = None) -> bool:
    """No job (on `pool`, if given) is still waiting for its answer to be handled (tests)."""
    return not any(pool is None or p is pool for p in _running.values())


def serial_pool(parent: QObject | None = None) -> QThreadPool:
    """One thread, kept: jobs run one after another in the order they were started, with no start-up cost."""
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(1)
    pool.setExpiryTimeout(-1)
    return pool
