"""The sweep's output folder: one sweep at a time (a lock), and ``--overwrite`` that replaces the
previous sweep only once the new one is complete.

* Lock: ``OUT/.sweep.lock``, held with ``fcntl.flock`` (exclusive, non-blocking) for the whole
  run and released by the operating system when the process ends, however it ends; the file
  holds the owner's pid for the message a second sweep gets. The file itself stays (deleting a
  lock file races with the next one taking it).
* Overwrite: the new sweep is written into ``OUT/.sweep-new-<pid>/`` and swapped in when it is
  complete (the old items are moved aside, the new ones in, the old ones deleted: renames within
  one folder). A run that fails or is killed before the swap leaves the previous sweep as it was;
  the next run (under the lock) deletes what it left, and undoes a swap cut short between renames.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ipsecon.errors import InputError
from ipsecon.sweep.store import MARKER_DIR, STORE_NAME

LOCK_NAME = ".sweep.lock"
SUMMARY_NAME = "summary.csv"
ITEMS = (MARKER_DIR, SUMMARY_NAME, STORE_NAME)  # what a sweep consists of; the store moves in last
_NEW, _OLD = ".sweep-new-", ".sweep-old-"


def has_sweep(out: Path) -> bool:
    """Whether ``out`` holds (part of) a sweep: its store, or markers of finished units."""
    markers = out / MARKER_DIR
    return (out / STORE_NAME).exists() or (markers.is_dir() and any(markers.iterdir()))


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the folder's lock (creating the folder) or end with InputError if another sweep has it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError("--out", str(out), f"cannot create the output folder or its lock ({exc.strerror})",
                         "a folder this user can write") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # the holder writes its pid just after taking the lock: give it a moment before saying "unknown"
            pid = ""
            for _ in range(20):
                pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
                if pid:
                    break
                time.sleep(0.05)
            pid = pid or "unknown"
            raise InputError("--out", None, f"{out} is in use by another sweep (pid {pid})",
                             "wait until it ends, or another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _recover(out)
        yield
    finally:
        os.close(fd)  # releases the lock


def staging_folder(out: Path) -> Path:
    """An empty folder inside ``out`` to write a replacing sweep into (call under the lock)."""
    new = out / f"{_NEW}{os.getpid()}"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    return new


def replace_sweep(out: Path, new: Path) -> None:
    """Put the complete sweep in ``new`` in place of the one in ``out`` (call under the lock)."""
    old = out / f"{_OLD}{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    for name in ITEMS:
        if (out / name).exists():
            os.replace(out / name, old / name)
    for name in ITEMS:  # the store last: a store in place means the whole new sweep is
        if (new / name).exists():
            os.replace(new / name, out / name)
    shutil.rmtree(old)
    shutil.rmtree(new)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _recover(out: Path) -> None:
    """What an earlier run left: unfinished replacements go; a swap cut short before the new store
    was in place is undone (the previous sweep put back)."""
    for new in out.glob(f"{_NEW}*"):
        discard(new)
    for old in out.glob(f"{_OLD}*"):
        if not (out / STORE_NAME).exists():
            for name in ITEMS:
                if (old / name).exists():
                    target = out / name
                    if target.is_dir():
                        shutil.rmtree(target)
                    elif target.exists():
                        target.unlink()
                    os.replace(old / name, target)
        discard(old)
