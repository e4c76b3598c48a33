"""The one error boundary: what a person sees when a command or a page fails.

An expected failure (a bad input, a missing key, a database that is not one, a disk that is
full or read-only) is one line saying what to do, exit code 1. Another process running the
project's room is one "busy:" line, exit code 75 (EX_TEMPFAIL: try again later). Anything
else is a bug: one line naming a log file that holds the traceback, exit code 2.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from writersroom import plain
from writersroom.errors import Conflict, WritersroomError

EXIT_FAILED = 1
EXIT_UNEXPECTED = 2
EXIT_BUSY = 75

SQLITE_HINTS = {
    "file is not a database": "it is not a SQLite database: restore it from a backup",
    "database disk image is malformed": "the file is damaged: restore it from a backup",
    "attempt to write a readonly database": "make the project folder and writersroom.db writable",
    "unable to open database file": "check that the project folder exists and is writable",
    "database is locked": "another program holds it; try again when it is done",
    "disk I/O error": "check the disk the project is on",
    "database or disk is full": "free some disk space",
}


def expected_message(exc: BaseException) -> str | None:
    """The one line for an expected failure, or None for a bug."""
    if isinstance(exc, WritersroomError):
        return str(exc)
    if type(exc) in (sqlite3.DatabaseError, sqlite3.OperationalError):
        text = str(exc)
        hint = next((h for key, h in SQLITE_HINTS.items() if text.startswith(key)), None)
        if hint is None:
            return None
        return f"the project's database cannot be used ({text}): {hint}"
    if isinstance(exc, OverflowError):  # a number past SQLite's 64-bit integers
        return f"a number given is out of range ({exc}): give a smaller one"
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"{exc.filename}: " if exc.filename else ""
        what = exc.strerror or errno.errorcode.get(exc.errno, str(exc))
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"{where}{what}: check the permissions of the project folder and its files"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"{where}{what}: free some disk space and try again"
        return f"{where}{what}"
    return None


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, Conflict):
        return EXIT_BUSY
    return EXIT_FAILED if expected_message(exc) is not None else EXIT_UNEXPECTED


def log_folder() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "writersroom" / "logs"


def log_unexpected(exc: BaseException, context: str) -> Path | None:
    """Write `exc`'s traceback to a new log file; its path, or None if none could be written."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    body = f"writersroom: {context}\n{datetime.now(UTC).isoformat()}\n\n" + "".join(
        traceback.format_exception(exc)
    )
    for folder in (log_folder(), Path(tempfile.gettempdir()) / "writersroom-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"error-{stamp}-{os.getpid()}.log"
            path.write_text(body, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def unexpected_line(exc: BaseException, context: str) -> str:
    """The one line for a bug, after logging its traceback."""
    path = log_unexpected(exc, context)
    where = f"the details are in {path}" if path else "no log file could be written"
    summary = plain.escaped(f"{type(exc).__name__}: {exc}")[:300]
    return f"unexpected error ({summary}); {where}: please report it"
