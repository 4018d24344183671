"""One run's files, written as a whole.

    with RunFolder(Path("results/bodo"), kind="simulate") as run:
        run.write_bytes("results.nc", data)
        run.write_text("summary.csv", text)
    # only now does results/bodo hold the new run; until then it held the previous one, complete

Files are staged in a hidden sibling folder (``.bodo.staging-<random>``), a ``manifest.json``
naming every file with its SHA-256 is written last, and the staged folder is swapped into place
(two renames in the same parent). So no file of an earlier run survives beside a new one, a run
that fails (an exception, a full disk, kill -9) leaves the previous complete results in place,
and a reader can check with :func:`verify` that a folder is one run.

Bytes are produced in memory and written with plain file I/O: a full disk or an I/O error then
raises a Python ``OSError`` (exit 2 with the path) instead of failing inside a C library.

Safety: a folder that exists, is not empty and has no manifest is not ours, and is never
replaced (``--out .`` must not wipe a working folder). A lock file beside the folder keeps two
runs from writing the same folder at once. Nothing is deleted through a symlink.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from ipsecon.errors import InputError

MANIFEST = "manifest.json"
_STAGING, _OLD = ".staging-", ".old-"


def _remove(path: Path) -> None:
    """Remove a file, a symlink (the link only) or a folder tree; missing is fine."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a run folder, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def verify(folder: Path) -> list[str]:
    """Files of ``folder`` that are not the run its manifest names: missing, changed or extra."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return [MANIFEST + " (missing)"]
    problems = []
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} (missing)")
        elif _sha256(path.read_bytes()) != digest:
            problems.append(f"{name} (changed since the run)")
    listed = set(manifest.get("files", {})) | {MANIFEST}
    problems += [f"{p.name} (not from this run)" for p in sorted(folder.iterdir()) if p.name not in listed]
    return problems


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_replaceable(target: Path, option: str = "--out") -> None:
    """Refuse a target that is a file, or a non-empty folder that no ipsecon run wrote."""
    if target.is_symlink() and not target.exists():
        raise InputError(option, str(target), "is a broken symbolic link", "a folder path")
    if target.exists() and not target.is_dir():
        raise InputError(option, str(target), "is a file, not a folder", "a folder path (created if missing)")
    if target.is_dir() and read_manifest(target) is None and any(target.iterdir()):
        raise InputError(option, str(target), f"is a folder with files that no ipsecon run wrote (no {MANIFEST}); "
                         "it is not replaced", "an empty or new folder, or one an earlier ipsecon run wrote")


class RunFolder:
    """Stage a run's files and swap them into ``target`` as a whole on success."""

    def __init__(self, target: str | Path, kind: str, attributes: dict | None = None):
        self.target = Path(target)
        self.kind = kind  # simulate, breakeven, psa, …
        self.attributes = dict(attributes or {})
        self.files: dict[str, str] = {}
        self.staging: Path | None = None
        self._lock = None

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> "RunFolder":
        check_replaceable(self.target)
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        self._lock = _acquire_lock(parent / f".{self.target.name}.lock", self.target)
        try:
            _recover(self.target)
            check_replaceable(self.target)  # again, under the lock
            held = (read_manifest(self.target) or {}).get("kind", self.kind)
            if held != self.kind:
                raise InputError("--out", str(self.target), f"holds the results of `ipsecon {held}`; this `{self.kind}` run "
                                 "would replace them", "another --out (each command's results have a folder of their own)")
            self.staging = parent / f".{self.target.name}{_STAGING}{secrets.token_hex(4)}"
            self.staging.mkdir()
        except BaseException:
            _release_lock(self._lock)
            raise
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        try:
            if kind is None:
                self._commit()
        finally:
            if self.staging is not None and self.staging.exists():
                _remove(self.staging)
            _release_lock(self._lock)
        return False

    def _commit(self) -> None:
        manifest = {"kind": self.kind, "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "files": dict(sorted(self.files.items())), **self.attributes}
        self.write_bytes(MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(), listed=False)
        os.chmod(self.staging, 0o755)
        old = None
        if self.target.exists() or self.target.is_symlink():
            old = self.target.parent / f".{self.target.name}{_OLD}{secrets.token_hex(4)}"
            os.replace(self.target, old)
        os.replace(self.staging, self.target)
        self.staging = None
        if old is not None:
            _remove(old)

    # --- writing ------------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        """Where a file named ``name`` is staged (for writers that need a path)."""
        if self.staging is None:
            raise RuntimeError("RunFolder used outside its with-block")
        if Path(name).name != name or name in ("", ".", "..", MANIFEST):
            raise ValueError(f"not a plain file name: {name!r}")
        return self.staging / name

    def write_bytes(self, name: str, data: bytes | memoryview, listed: bool = True) -> Path:
        path = self.staging / name if not listed else self.path(name)
        data = bytes(data)
        try:
            with open(path, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:  # name the file the user asked for, not the staging copy
            raise OSError(exc.errno, exc.strerror, str(self.target / name)) from None
        if listed:
            self.files[name] = _sha256(data)
        return self.target / name

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode("utf-8"))

    def add_written(self, name: str) -> Path:
        """Record a file a library wrote at :meth:`path` itself."""
        self.files[name] = _sha256(self.path(name).read_bytes())
        return self.target / name


def _recover(target: Path) -> None:
    """Tidy after a run that was killed (call with the lock held): put back a folder moved aside, drop staging."""
    parent, name = target.parent, target.name
    olds = sorted(parent.glob(f".{name}{_OLD}*"))
    if olds and not (target.exists() or target.is_symlink()):
        os.replace(olds.pop(), target)  # killed between the two renames: the old run is complete
    for stale in olds + list(parent.glob(f".{name}{_STAGING}*")):
        _remove(stale)


def repair(target: str | Path) -> None:
    """What the next run into ``target`` does first: finish or undo what a killed run left beside it."""
    target = Path(target)
    if not target.parent.is_dir():
        return
    lock = _acquire_lock(target.parent / f".{target.name}.lock", target)
    try:
        _recover(target)
    finally:
        _release_lock(lock)


def _acquire_lock(path: Path, target: Path):
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        fh.close()
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            raise InputError("--out", str(target), "is being written by another ipsecon run right now",
                             "wait for it to finish, or choose another --out") from None
        raise
    return fh


def _release_lock(fh) -> None:
    if fh is not None:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
