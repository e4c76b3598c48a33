"""The room's run in the background, one at a time, while the pages show who is working.

Project objects are not thread-safe: each request opens its own, and the worker thread that
carries a decision on opens another. A decision is checked against what waits (the episode,
checkpoint and revision its form was rendered for) under a lock that also refuses it while a
run is in progress, so two tabs deciding the same checkpoint never resume the run twice.
Across processes (the command line, another server) the project's run lock does the same: it
is taken before the decision is checked and handed to the worker, which lets it go when the
run stops; another process holding it makes the decision a conflict (409). A character's
sheet drawn again on request is done at once, in the request, under the same two locks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from writersroom import boundary
from writersroom.errors import Conflict, InputError, WritersroomError
from writersroom.room import runlock
from writersroom.room.answers import Usage
from writersroom.room.project import Project
from writersroom.room.redraw import Redrawn, redraw
from writersroom.room.runlock import RunLock
from writersroom.schemas import Decision
from writersroom.tools.base import View

log = logging.getLogger(__name__)


@dataclass
class Step:
    """One agent's step of the run: started, and once answered, what it cost."""

    agent: str
    task: str
    started: float
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    rejected: int = 0  # answers rejected and asked again
    done: bool = False


class Runner:
    """Takes decisions for one project folder and runs the room on in a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.label = ""  # what started the current (or last) run
        self.steps: list[Step] = []
        self.error: str | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def open(self) -> Project:
        """A Project for the calling thread; close it when done."""
        return Project(self.path)

    def decide(self, decision: Decision, expected: tuple[int, str, int]) -> None:
        """Check the decision now (raising Conflict or InputError), then carry it out."""
        with self._lock:
            self._refuse_while_busy()
            lock = self._run_lock()
            try:
                project = self.open()
                try:
                    waiting = project.check_decision(decision, expected)
                finally:
                    project.close()
            except BaseException:
                lock.release()
                raise
            verb = {"approve": "approved", "revise": "sent back with notes", "edit": "edited"}
            self._start(
                lambda p: p.decide(decision, expected),
                f"{waiting.kind} revision {waiting.revision} {verb[decision.action]}",
                lock,
            )

    def resume(self) -> None:
        """Continue a run that stopped without a decision pending (a failed step)."""
        with self._lock:
            self._refuse_while_busy()
            lock = self._run_lock()
            try:
                project = self.open()
                try:
                    waiting = project.pending()
                    if waiting is not None:
                        raise InputError(
                            f"episode {waiting.episode} waits at {waiting.checkpoint}: decide it"
                        )
                    if not project.next_nodes():
                        raise InputError(project.nothing_waits())
                finally:
                    project.close()
            except BaseException:
                lock.release()
                raise
            self._start(Project.resume, "resumed", lock)

    def redraw(self, name: str, notes: str, views: Collection[View]) -> Redrawn:
        """Draw a character's sheet again with `notes`, now, in the calling thread (refused
        while the room runs here or in another process)."""
        with self._lock:
            self._refuse_while_busy()
            lock = self._run_lock()
            try:
                project = Project(self.path, lock=lock)
            except BaseException:
                lock.release()
                raise
            try:
                return redraw(project, name, notes, views)
            finally:
                project.close()

    def _run_lock(self) -> RunLock:
        """The project's run lock, taken for this page (Busy if another process runs)."""
        lock = RunLock(self.path, who="the review page")
        lock.acquire()
        return lock

    def status(self) -> dict[str, Any]:
        steps = list(self.steps)
        working = asdict(steps[-1]) if self.busy and steps and not steps[-1].done else None
        elsewhere = None if self.busy else runlock.holder(self.path)
        if elsewhere is not None:  # the command line (or another server) runs the room
            working = asdict(Step(elsewhere.who or "another process", elsewhere.node, 0.0))
        return {
            "busy": self.busy or elsewhere is not None,
            "label": self.label if elsewhere is None else elsewhere.describe(),
            "error": self.error,
            "working": working,
            "steps": [asdict(s) for s in steps] if elsewhere is None else [],
        }

    def _refuse_while_busy(self) -> None:
        if self.busy:
            working = next((s for s in reversed(self.steps) if not s.done), None)
            who = f"{working.agent} is on {working.task}" if working else "a run is in progress"
            raise Conflict(f"the room is still working ({who}): wait for the next checkpoint")

    def _start(self, action: Callable[[Project], Any], label: str, lock: RunLock) -> None:
        self.label, self.steps, self.error = label, [], None
        self._thread = threading.Thread(
            target=self._work, args=(action, lock), name="writersroom-run", daemon=True
        )
        try:
            self._thread.start()
        except BaseException:
            lock.release()
            raise

    def _work(self, action: Callable[[Project], Any], lock: RunLock) -> None:
        project = None
        try:
            project = Project(self.path, report=self._report, lock=lock)
            action(project)
        except WritersroomError as exc:
            self.error = str(exc)
        except Exception as exc:  # the page must say that the run stopped, whatever stopped it
            message = boundary.expected_message(exc)
            if message is None:
                log.exception("the run stopped")
                message = boundary.unexpected_line(exc, f"the review page's run in {self.path}")
            self.error = message
        finally:
            if project is not None:
                project.close()
            while lock.held:
                lock.release()

    def _report(self, agent: str, task: str, usage: Usage | None) -> None:
        if usage is None:
            self.steps.append(Step(agent, task, time.time()))
            return
        step = self.steps[-1]
        step.model = usage.model
        step.input_tokens += usage.input_tokens
        step.output_tokens += usage.output_tokens
        step.seconds += usage.seconds
        if usage.problem:
            step.rejected += 1
        else:
            step.done = True
