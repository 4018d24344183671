"""Progress for long runs: a rich bar with ETA on a terminal, plain lines otherwise.

    with Progress("PSA samples", total=n, quiet=quiet) as bar:
        for chunk in chunks:
            ...
            bar.advance(len(chunk))

* stderr is a terminal: a rich progress bar (done/total, elapsed, time left).
* stderr is not a terminal (CI, a log file, a pipe): plain lines on stderr — one at the start,
  one about every 10 %, one at the end with the elapsed seconds — so logs stay short.
* ``quiet=True`` prints nothing. ``quiet=None`` (the default) follows :func:`set_quiet`, which the
  CLI's ``--quiet`` calls, so library code deep inside a command needs no extra argument.

``advance`` is cheap enough to call once per item thousands of times: it adds to a counter and
only talks to the terminal when a 10 % step is crossed (plain) or at most ~20 times a second (rich).
It is safe to call from worker threads (e.g. Dask callbacks).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO, Iterable, Iterator, TypeVar

T = TypeVar("T")

_QUIET = os.environ.get("IPSECON_QUIET", "").strip().lower() in {"1", "true", "yes"}


def set_quiet(quiet: bool) -> None:
    """Default for every later ``Progress(quiet=None)`` (the CLI's ``--quiet``)."""
    global _QUIET
    _QUIET = bool(quiet)


def is_quiet() -> bool:
    return _QUIET


def _format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Context manager reporting progress of ``total`` units of work (``total=None``: unknown)."""

    REFRESH_SECONDS = 0.05  # rich mode: push to the bar at most this often

    def __init__(self, description: str, total: int | float | None = None, quiet: bool | None = None,
                 stream: IO[str] | None = None, step: float = 0.1):
        self.description = description
        self.total = None if total is None else float(total)
        self.quiet = _QUIET if quiet is None else bool(quiet)
        self.stream = stream if stream is not None else sys.stderr
        self.step = step
        self.completed = 0.0
        self.mode = "off" if self.quiet else ("rich" if _isatty(self.stream) else "plain")
        self._lock = threading.Lock()
        self._start = 0.0
        self._next_mark = float("inf")
        self._pending = 0.0
        self._last_push = 0.0
        self._rich = None
        self._task = None

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> "Progress":
        self._start = time.monotonic()
        if self.mode == "plain":
            todo = f", {_count(self.total)} to do" if self.total else ""
            self._line(f"{self.description}: started{todo}")
            self._next_mark = self.step * self.total if self.total else float("inf")
        elif self.mode == "rich":
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TaskProgressColumn,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)

            columns = [TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TaskProgressColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
            self._rich = RichProgress(*columns, console=Console(file=self.stream), transient=False)
            self._rich.start()
            self._task = self._rich.add_task(self.description, total=self.total)
            self._last_push = self._start
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        elapsed = time.monotonic() - self._start
        if self.mode == "plain":
            if exc_type is None:
                self._line(f"{self.description}: done, {_count(self.completed)} in {_format_seconds(elapsed)}")
            else:
                self._line(f"{self.description}: stopped after {_count(self.completed)}"
                           + (f"/{_count(self.total)}" if self.total else "") + f" ({_format_seconds(elapsed)})")
        elif self.mode == "rich" and self._rich is not None:
            with self._lock:
                self._rich.update(self._task, completed=self.completed)
            self._rich.stop()
            self._rich = None

    # -- reporting -------------------------------------------------------------------------
    def advance(self, k: int | float = 1) -> None:
        """Record ``k`` more units done."""
        if self.mode == "off":
            self.completed += k
            return
        with self._lock:
            self.completed += k
            if self.mode == "plain":
                if self.completed >= self._next_mark and self.total:
                    self._plain_mark()
            else:
                now = time.monotonic()
                if now - self._last_push >= self.REFRESH_SECONDS or (self.total and self.completed >= self.total):
                    self._rich.update(self._task, completed=self.completed)
                    self._last_push = now

    def iterate(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, advancing by one after each."""
        for item in items:
            yield item
            self.advance(1)

    def _plain_mark(self) -> None:
        fraction = min(self.completed / self.total, 1.0)
        if fraction >= 1.0:
            self._next_mark = float("inf")  # the closing line says "done"
            return
        elapsed = time.monotonic() - self._start
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
        self._line(f"{self.description}: {_count(self.completed)}/{_count(self.total)} ({fraction:.0%}), "
                   f"{_format_seconds(elapsed)} elapsed, about {_format_seconds(left)} left")
        # next whole step above the current fraction (a big advance may jump several steps)
        steps_done = int(fraction / self.step + 1e-9)
        self._next_mark = (steps_done + 1) * self.step * self.total

    def _line(self, text: str) -> None:
        try:
            print(text, file=self.stream, flush=True)
        except (ValueError, OSError):  # closed stream: progress is never worth a crash
            pass


def track(items: Iterable[T], description: str, total: int | None = None, quiet: bool | None = None) -> Iterator[T]:
    """``for x in track(xs, "scenarios"): ...`` — a Progress over an iterable."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(description, total=total, quiet=quiet) as bar:
        yield from bar.iterate(items)


class slow_step:
    """A step whose length is not known in parts (compiling, value of information, one big solve):

        with slow_step("value of information (EVPI, EVPPI)"):
            ...

    says nothing if it ends within ``after`` seconds; otherwise one line when that time has passed
    ("… still working") and one with the elapsed time at the end, so no step is silent for long."""

    def __init__(self, description: str, after: float = 2.0, quiet: bool | None = None, stream: IO[str] | None = None):
        self.description = description
        self.after = after
        self.quiet = _QUIET if quiet is None else bool(quiet)
        self.stream = stream if stream is not None else sys.stderr
        self._spoke = threading.Event()
        self._timer: threading.Timer | None = None

    def _announce(self) -> None:
        self._spoke.set()
        _say(self.stream, f"{self.description}: working …")

    def __enter__(self) -> "slow_step":
        self._start = time.monotonic()
        if not self.quiet:
            self._timer = threading.Timer(self.after, self._announce)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._spoke.is_set():
            state = "done" if exc_type is None else "stopped"
            _say(self.stream, f"{self.description}: {state} in {_format_seconds(time.monotonic() - self._start)}")


def _say(stream, text: str) -> None:
    try:
        print(text, file=stream, flush=True)
    except (ValueError, OSError):  # closed stream: progress is never worth a crash
        pass


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _count(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.1f}"
