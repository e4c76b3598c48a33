"""One display of a render's jobs: how many are made, and which are in flight for how long."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from writersroom.tools.cache import Call

NAMES = {"generate_video": "video", "synthesize_voice": "voice"}


class JobBoard:
    """The jobs a command makes ahead (the videos and voices of its shots, across episodes for
    a season): `show` is called with the board whenever a job starts or ends."""

    def __init__(self, show: Callable[[JobBoard], None] | None = None) -> None:
        self.show = show
        self.expected = 0
        self.made = 0
        self.peak = 0  # the most jobs in flight at once
        self._flying: dict[str, tuple[str, float]] = {}  # key -> what is made, since when
        self._lock = threading.Lock()

    def expect(self, count: int) -> None:
        with self._lock:
            self.expected += count
        self._changed()

    def started(self, episode: int, call: Call) -> None:
        what = f"episode {episode} shot {call.shot} {NAMES.get(call.tool, call.tool)}"
        with self._lock:
            self._flying[call.key] = (f"{what} ({call.backend}", time.monotonic())
            self.peak = max(self.peak, len(self._flying))
        self._changed()

    def finished(self, call: Call) -> None:
        with self._lock:
            self._flying.pop(call.key, None)
            self.made += 1
        self._changed()

    def line(self) -> str:
        """e.g. `renders 3 of 12 done; in flight: episode 1 shot 4 video (kling, 41 s), ...`"""
        now = time.monotonic()
        with self._lock:
            flying = [f"{what}, {now - since:.0f} s)" for what, since in self._flying.values()]
            done = f"renders {self.made} of {self.expected} done"
        return f"{done}; in flight: {', '.join(flying)}" if flying else done

    def _changed(self) -> None:
        if self.show is not None:
            self.show(self)

    @property
    def flying(self) -> int:
        return len(self._flying)
