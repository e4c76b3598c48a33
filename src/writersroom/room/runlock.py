"""One writer per project: an OS lock on `writersroom.lock` in the project folder.

Every process that advances a run or renders (the CLI, the review page's worker, a LangGraph
server's node) holds an exclusive `flock` on the file for the whole step. The kernel releases
it when the process ends, however it ends (`kill -9` included), so a stale lock never needs
clearing. The holder writes who it is into the file (pid, host, command, the node it runs and
since when) for the "busy" message another process shows.

A holder first checks what it was asked to do (phase "checking"), then runs (phase
"running"). A second writer waits a moment for a holder that is only checking (it may well
refuse and let go) and is refused at once by one that runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writersroom.errors import Busy, InputError

LOCK_FILE = "writersroom.lock"
RECORD_BYTES = 1024  # the record is written in place, padded, so a reader never sees it half
CHECKING_WAIT_SECONDS = 5.0  # how long a writer waits for another that is only checking


@dataclass(frozen=True)
class Holder:
    """Who holds a project's lock, as it wrote itself into the file."""

    pid: int | None
    host: str
    who: str
    node: str
    phase: str
    since: str

    def describe(self) -> str:
        at = f" (pid {self.pid} on {self.host})" if self.pid else ""
        doing = self.node or "a step"
        since = f" since {self.since}" if self.since else ""
        return f"{self.who or 'another process'}{at} is running {doing}{since}"

    def busy(self) -> Busy:
        return Busy(f"busy: {self.describe()}")


UNKNOWN = Holder(None, "", "", "", "checking", "")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _read(fd: int) -> Holder:
    try:
        raw = os.pread(fd, RECORD_BYTES, 0).decode("utf-8", errors="replace").strip()
        data: dict[str, Any] = json.loads(raw) if raw else {}
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    pid = data.get("pid")
    return Holder(
        pid if isinstance(pid, int) else None,
        str(data.get("host", "")),
        str(data.get("who", "")),
        str(data.get("node", "")),
        str(data.get("phase", "checking")),
        str(data.get("since", "")),
    )


def command_name() -> str:
    """How the running process was started, for the busy message: `writersroom approve`."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")][:1]
    return " ".join(["writersroom", *args]) if args else "writersroom"


class RunLock:
    """The project's writer lock; re-entrant within one object (one holder, nested steps)."""

    def __init__(self, folder: Path, who: str | None = None) -> None:
        self.path = folder / LOCK_FILE
        self.who = who or command_name()
        self._fd: int | None = None
        self._depth = 0
        self._record: dict[str, Any] = {}

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, node: str = "", wait: float = CHECKING_WAIT_SECONDS) -> None:
        """Take the lock (phase "checking"), or raise `Busy` naming the holder."""
        if self._fd is not None:
            self._depth += 1
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise InputError(
                f"cannot write in {self.path.parent} ({exc.strerror}): a run needs a "
                "project folder it may write to"
            ) from None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read(fd)
                if holder.phase == "running" or time.monotonic() >= deadline:
                    os.close(fd)
                    raise holder.busy() from None
                time.sleep(0.05)
        self._fd, self._depth = fd, 1
        self._record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "who": self.who,
            "node": node,
            "phase": "checking",
            "since": _now(),
        }
        self._write()

    def running(self, node: str) -> None:
        """Say that the holder now runs `node` (a graph node, or "render")."""
        if self._fd is None:
            return
        self._record |= {"node": node, "phase": "running", "since": _now()}
        self._write()

    def release(self) -> None:
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # no stale record for the next reader
        except OSError:
            pass  # a read-only or full disk: the lock itself still goes with the descriptor
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    def _write(self) -> None:
        assert self._fd is not None
        data = json.dumps(self._record, ensure_ascii=True).encode()[: RECORD_BYTES - 1]
        # the record is for messages only; the lock holds without it (a full disk)
        with contextlib.suppress(OSError):
            os.pwrite(self._fd, data.ljust(RECORD_BYTES - 1) + b"\n", 0)


def holder(folder: Path) -> Holder | None:
    """Who runs in `folder` now, or None. Takes nothing: the probe is a shared lock, at once
    let go (a writer that meets it waits the moment it lasts)."""
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
