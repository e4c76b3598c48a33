"""The room's run in the background, one at a time, while the pages show who is working.

Project objects are not thread-safe: each request opens its own, and the worker thread that
carries a decision on opens another. A decision is checked against what waits (the episode,
checkpoint and revision its form was rendered for) under a lock that also refuses it while a
run is in progress, so two tabs deciding the same checkpoint never resume the run twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from writersroom.answers import Usage
from writersroom.errors import Conflict, InputError, WritersroomError
from writersroom.project import Project
from writersroom.schemas import Decision

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
            project = self.open()
            try:
                waiting = project.check_decision(decision, expected)
            finally:
                project.close()
            verb = {"approve": "approved", "revise": "sent back with notes", "edit": "edited"}
            self._start(
                lambda p: p.decide(decision, expected),
                f"{waiting.kind} revision {waiting.revision} {verb[decision.action]}",
            )

    def resume(self) -> None:
        """Continue a run that stopped without a decision pending (a failed step)."""
        with self._lock:
            self._refuse_while_busy()
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
            self._start(Project.resume, "resumed")

    def status(self) -> dict[str, Any]:
        steps = list(self.steps)
        return {
            "busy": self.busy,
            "label": self.label,
            "error": self.error,
            "working": asdict(steps[-1]) if self.busy and steps and not steps[-1].done else None,
            "steps": [asdict(s) for s in steps],
        }

    def _refuse_while_busy(self) -> None:
        if self.busy:
            working = next((s for s in reversed(self.steps) if not s.done), None)
            who = f"{working.agent} is on {working.task}" if working else "a run is in progress"
            raise Conflict(f"the room is still working ({who}): wait for the next checkpoint")

    def _start(self, action: Callable[[Project], Any], label: str) -> None:
        self.label, self.steps, self.error = label, [], None
        self._thread = threading.Thread(
            target=self._work, args=(action,), name="writersroom-run", daemon=True
        )
        self._thread.start()

    def _work(self, action: Callable[[Project], Any]) -> None:
        project = None
        try:
            project = Project(self.path, report=self._report)
            action(project)
        except WritersroomError as exc:
            self.error = str(exc)
        except Exception as exc:  # the page must say that the run stopped, whatever stopped it
            log.exception("the run stopped")
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            if project is not None:
                project.close()

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
