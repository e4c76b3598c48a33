"""A project folder: its configuration, its database, and the runs of its episodes.

Each episode is one LangGraph thread (`episode-N`) checkpointed in the project's database, so a
run that is killed resumes from its last finished step and a checkpoint can wait for days.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import ValidationError
from rich.console import Console

from writersroom.config import (
    CONFIG_FILE,
    DATABASE_FILE,
    DEFAULT_TOML,
    check_models,
    load_config,
    parse_overrides,
)
from writersroom.continuity import checker
from writersroom.errors import Conflict, InputError
from writersroom.memory import EpisodeStatus, Memory, open_database
from writersroom.providers import ModelRegistry
from writersroom.room import answers
from writersroom.room.answers import summarize
from writersroom.room.checkpoints import validate_draft
from writersroom.room.context import Room
from writersroom.room.graph import compiled
from writersroom.room.live import RenderStatus, TokenMeter
from writersroom.room.runlock import RunLock
from writersroom.schemas import Decision, Premise
from writersroom.tools.board import JobBoard

Reporter = Callable[[str, str, answers.Usage | None], None]


@dataclass
class Pending:
    """A checkpoint waiting for a decision."""

    checkpoint: str
    episode: int
    kind: str
    revision: int
    payload: dict[str, Any]


class ProjectView:
    """A project folder read, not run: what the review room's pages show. One connection to the
    database, no migrations, no models, no lock, and the graph compiled once per process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not (path / DATABASE_FILE).exists():
            raise InputError(
                f"{path} is not a writersroom project: start one with `writersroom new`"
            )
        connection = sqlite3.connect(path / DATABASE_FILE, check_same_thread=False, timeout=30)
        self.db = sqlite_utils.Database(connection)
        self.memory = Memory(self.db)
        self.saver = SqliteSaver(connection)
        self.graph = compiled().copy(update={"checkpointer": self.saver})

    def current_episode(self) -> int:
        series = self.memory.series()
        if series is None:
            raise InputError(f"{self.path} has no series yet: start one with `writersroom new`")
        return series["current_episode"]

    def _thread(self, episode: int) -> RunnableConfig:
        return {"configurable": {"thread_id": f"episode-{episode}"}}

    def pending(self, episode: int | None = None) -> Pending | None:
        episode = self.current_episode() if episode is None else episode
        snapshot = self.graph.get_state(self._thread(episode))
        for task in snapshot.tasks:
            for waiting in task.interrupts:
                value = waiting.value
                return Pending(
                    value["checkpoint"], episode, value["kind"], value["revision"], value
                )
        return None

    def state(self, episode: int | None = None) -> dict[str, Any]:
        episode = self.current_episode() if episode is None else episode
        return dict(self.graph.get_state(self._thread(episode)).values)

    def next_nodes(self, episode: int | None = None) -> tuple[str, ...]:
        episode = self.current_episode() if episode is None else episode
        return tuple(self.graph.get_state(self._thread(episode)).next)

    def close(self) -> None:
        self.db.conn.close()


class Project(ProjectView):
    """Opens (and on `create`, makes) a project folder.

    Whatever advances a run (`start`, `decide`, `resume`, `next_episode`) or renders holds the
    project's `RunLock` meanwhile: a second process gets `Busy` and writes nothing.
    """

    def __init__(
        self,
        path: Path,
        model_overrides: list[str] | None = None,
        report: Reporter | None = None,
        lock: RunLock | None = None,
    ) -> None:
        self.path = path
        self.lock = lock or RunLock(path)
        if not (path / CONFIG_FILE).exists() and not (path / DATABASE_FILE).exists():
            raise InputError(
                f"{path} is not a writersroom project: start one with `writersroom new`"
            )
        given = parse_overrides(model_overrides or [])
        config = load_config(path).with_models(given)  # bad names fail before anything is written
        check_models(config)
        self.db = open_database(path / DATABASE_FILE)
        self.memory = Memory(self.db)
        # A run keeps the models it was started or last continued with.
        series = self.memory.series()
        row = self.memory.episode(series["current_episode"]) if series else None
        self.overrides = {**(json.loads(row["models"]) if row and row["models"] else {}), **given}
        self.config = config.with_models(self.overrides)
        check_models(self.config)
        self.saver = SqliteSaver(
            sqlite3.connect(path / DATABASE_FILE, check_same_thread=False, timeout=30)
        )
        self.saver.setup()
        self.graph = compiled().copy(update={"checkpointer": self.saver})
        self.models = ModelRegistry(self.config, path)
        self.report = report

    @classmethod
    def create(cls, path: Path, premise: str, **kwargs: Any) -> Project:
        """Validate the premise, make the folder and its files, and record the series."""
        try:
            text = Premise(text=premise).text
        except ValidationError as exc:
            raise InputError(summarize(exc, limit=1).removeprefix("text: ")) from None
        check_models(
            load_config(path).with_models(parse_overrides(kwargs.get("model_overrides") or []))
        )
        if (path / DATABASE_FILE).exists():
            raise InputError(
                f"{path} already holds a series: use `writersroom next-episode` there, "
                "or give another --dir"
            )
        path.mkdir(parents=True, exist_ok=True)
        lock = kwargs.pop("lock", None) or RunLock(path)
        lock.acquire()  # held by the project until it is closed
        try:
            if (path / DATABASE_FILE).exists():  # another `new` made it meanwhile
                raise InputError(f"{path} already holds a series: give another --dir")
            if not (path / CONFIG_FILE).exists():
                (path / CONFIG_FILE).write_text(DEFAULT_TOML, encoding="utf-8")
            project = cls(path, lock=lock, **kwargs)
        except BaseException:
            lock.release()
            raise
        try:
            project.memory.start_series(text)
        except BaseException:
            project.close()
            raise
        return project

    # runs ---------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the project's run lock (raising `Busy` if another process holds it)."""
        self.lock.acquire()
        try:
            yield
        finally:
            self.lock.release()

    def _room(self, episode: int) -> Room:
        row = self.memory.episode(episode) or {}
        stops = frozenset() if row.get("auto") else frozenset(self.config.room.checkpoints)
        room = Room(self.config, self.memory, self.models, episode, stops, self.lock.running)
        room.board = JobBoard(RenderStatus(Console(stderr=True)))  # drawn on a terminal only
        if self.report:
            room.report = self.report
            room.callbacks = [TokenMeter(Console(stderr=True))]
        return room

    def _invoke(self, episode: int, value: Any) -> None:
        self.lock.running(", ".join(self.next_nodes(episode)) or "the run")
        self.memory.upsert_episode(episode, models=self.overrides)
        # "sync": each step's checkpoint is on disk before the next step starts, so a killed
        # run resumes at the step it was in, never an earlier one
        self.graph.invoke(
            value, self._thread(episode), context=self._room(episode), durability="sync"
        )

    def start(self, auto: bool = False) -> None:
        """Run episode 1 of a new series until a checkpoint stops it or its shots are approved."""
        with self.writing():
            series = self.memory.series()
            if series is None or self.memory.episode(1) is not None:
                raise InputError("this series has already started: use `status` and `resume`")
            self.memory.upsert_episode(1, status=EpisodeStatus.IN_PROGRESS, auto=int(auto))
            self._invoke(1, {"premise": series["premise"], "episode": 1})

    def next_episode(self, auto: bool = False) -> int:
        """Start the episode after the current one, from the approved bible and earlier episodes
        (the current one's story must be remembered; its production need not be finished)."""
        with self.writing():
            current = self.current_episode()
            row = self.memory.episode(current)
            if row is None or row["status"] not in (EpisodeStatus.REMEMBERED, EpisodeStatus.CUT):
                raise InputError(f"episode {current} is not finished yet: see `writersroom status`")
            bible = self.memory.bible()
            number = current + 1
            self.memory.upsert_episode(number, status=EpisodeStatus.IN_PROGRESS, auto=int(auto))
            self.memory.set_current_episode(number)
            premise = self.memory.series()["premise"]  # type: ignore[index]
            self._invoke(number, {"premise": premise, "episode": number, "bible": bible})
            return number

    def decide(self, decision: Decision, expected: tuple[int, str, int] | None = None) -> Pending:
        """Answer the waiting checkpoint and run on until the next one stops the run.

        `expected` is the (episode, checkpoint, revision) the person saw; see `check_decision`.
        Without it, it is what waited when this was called: if another process decides it
        before this one has the run lock, this one gets `Conflict` rather than deciding the
        next checkpoint.
        """
        if expected is None:
            seen = self.pending()
            expected = (seen.episode, seen.checkpoint, seen.revision) if seen else None
            if seen is None:
                with self.writing():
                    if self.pending() is not None:  # the room ran on to a checkpoint meanwhile
                        raise Conflict(
                            "another process ran the room on meanwhile: see `writersroom status`"
                        )
                    raise InputError(self.nothing_waits())
        with self.writing():
            waiting = self.check_decision(decision, expected)
            self._invoke(waiting.episode, Command(resume=decision.model_dump()))
            return waiting

    def check_decision(
        self, decision: Decision, expected: tuple[int, str, int] | None = None
    ) -> Pending:
        """The checkpoint `decision` answers, once it is known to be acceptable.

        Raises:
            Conflict: `expected` is not what waits now (decided already, e.g. in another tab).
            InputError: nothing waits, or an edited draft is not valid.
        """
        waiting = self.pending()
        if expected is not None:
            found = (waiting.episode, waiting.checkpoint, waiting.revision) if waiting else None
            if found != expected:
                episode, checkpoint, revision = expected
                done = [
                    d["action"]
                    for d in self.memory.decisions(episode)
                    if (d["checkpoint"], d["revision"]) == (checkpoint, revision)
                ]
                was = f"was already decided ({done[-1]})" if done else "is not waiting"
                now = (
                    f"episode {found[0]} now waits at {found[1]} revision {found[2]}"
                    if found
                    else "nothing waits for a decision now"
                )
                raise Conflict(f"episode {episode} {checkpoint} revision {revision} {was}; {now}")
        if waiting is None:
            raise InputError(self.nothing_waits())
        if decision.action == "edit":
            validate_draft(waiting.kind, decision.draft, self.state())
        if waiting.checkpoint == "approve_script":
            errors = checker.blocking(
                decision, waiting.payload["continuity"], self.state(), self.memory
            )
            if errors:
                raise InputError(checker.refusal(errors))
        return waiting

    def resume(self) -> None:
        """Continue a run that stopped without a decision pending (killed, or failed)."""
        with self.writing():
            episode = self.current_episode()
            waiting = self.pending()
            if waiting is not None:
                raise InputError(
                    f"episode {episode} waits at {waiting.checkpoint}: "
                    "`approve`, `revise --notes ...` or `edit` it"
                )
            if not self.next_nodes(episode):
                raise InputError(self.nothing_waits())
            self._invoke(episode, None)

    def produce(self, episode: int) -> None:
        """Run the director's production of a remembered episode on to its cut: from where it
        stopped (a failed render), or from the start (production was off)."""
        with self.writing():
            row = self.memory.episode(episode)
            if row is None or row["status"] not in (EpisodeStatus.REMEMBERED, EpisodeStatus.CUT):
                raise InputError(
                    f"episode {episode} has not been produced yet: approve its shots first "
                    "(`writersroom status`)"
                )
            self._invoke(episode, None if self.next_nodes(episode) else Command(goto="direct"))

    def nothing_waits(self) -> str:
        episode = self.current_episode()
        if self.next_nodes(episode):
            return f"nothing waits for a decision: episode {episode} stopped mid-run; `resume` it"
        return f"nothing waits for a decision: episode {episode} is finished; try `next-episode`"

    def close(self) -> None:
        self.saver.conn.close()
        self.db.conn.close()
        while self.lock.held:
            self.lock.release()
