"""The director's tools as LangChain tools, and the studio that carries their calls out.

The model sees four functions (`generate_video`, `synthesize_voice`, `lip_sync` and, for the
cut, `assemble`) with pydantic argument schemas (`calls`); the studio checks each call against the
approved shot list, fills in what series memory fixes (a character's look, seed and voice, a
line's words), keeps every file inside the episode's render folder, and runs the configured
backend through the cache. What is still missing per shot is what the director is asked again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, ValidationError

from writersroom.room.answers import summarize
from writersroom.speech import GAP_SECONDS, LEAD_SECONDS
from writersroom.tools.base import (
    LipSyncRequest,
    MediaResult,
    RemoteVideoBackend,
    VideoRequest,
    VoiceRequest,
)
from writersroom.tools.board import JobBoard
from writersroom.tools.cache import Call, Make, Remote, RenderCache, identity
from writersroom.tools.calls import (
    ORDER,
    CastMember,
    GenerateVideo,
    Job,
    LipSync,
    PlannedLine,
    PlannedShot,
    SynthesizeVoice,
)
from writersroom.tools.executor import Executor, LocalExecutor
from writersroom.tools.lipsync import AUDIO_SUFFIXES, VIDEO_SUFFIXES
from writersroom.tools.media import RenderError
from writersroom.tools.safety import inside


@dataclass
class Studio:
    """One episode's production: the plan, the cast, the backends and what has been made."""

    root: Path  # the episode's render folder
    cache: RenderCache
    backends: dict[str, Any]  # kind -> backend
    prices: dict[str, dict[str, float]]
    plan: dict[int, PlannedShot]
    cast: dict[str, CastMember]
    language: str
    concurrency: dict[str, int] = field(default_factory=dict)  # kind -> calls at once
    executor: Executor = field(default_factory=lambda: LocalExecutor(1))  # where renders run
    board: JobBoard = field(default_factory=JobBoard)  # the jobs in flight, for a display
    videos: dict[int, MediaResult] = field(default_factory=dict)
    voices: dict[tuple[int, int], MediaResult] = field(default_factory=dict)
    syncs: dict[int, dict[int, tuple[str, LipSync, MediaResult | None]]] = field(
        default_factory=dict
    )
    outputs: dict[Path, tuple[str, int, int]] = field(default_factory=dict)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    _call_id: str = ""

    # the tools -------------------------------------------------------------
    def tools(self) -> list[BaseTool]:
        def tool(name: str, schema: type[BaseModel], func: Any) -> BaseTool:
            return StructuredTool.from_function(
                func=func,
                name=name,
                description=" ".join((schema.__doc__ or "").split()),
                args_schema=schema,
                handle_tool_error=True,
                handle_validation_error=lambda exc: f"invalid arguments: {_problem(exc)}",
            )

        return [
            tool("generate_video", GenerateVideo, self._generate_video),
            tool("synthesize_voice", SynthesizeVoice, self._synthesize_voice),
            tool("lip_sync", LipSync, self._lip_sync),
        ]

    def execute(self, calls: list[dict[str, Any]]) -> list[ToolMessage]:
        """Carry out one message's tool calls (voices, then videos, then lip-syncs). Its videos
        and voices are made first, at once (`make_ahead`)."""
        self.make_ahead(calls)
        tools = {t.name: t for t in self.tools()}
        answers = []
        for call in sorted(calls, key=_call_order):
            tool = tools.get(call["name"])
            if tool is None:
                answers.append(_error(call, f"there is no tool {call['name']!r}"))
                continue
            self._call_id = call["id"]
            message = tool.invoke({**call, "type": "tool_call"})
            if message.status != "error":
                self.accepted.append({"id": call["id"], "name": call["name"], "args": call["args"]})
            answers.append(message)
        return answers

    def make_ahead(self, calls: list[dict[str, Any]]) -> None:
        """Make the videos and voices `calls` ask for at the same time, as many per backend as
        its concurrency allows; each call then takes its result, cost and ledger row in order."""
        make_together([(self, calls)])

    def ahead(self, calls: list[dict[str, Any]]) -> list[Ahead]:
        """The videos and voices `calls` ask for, to be made before their turn. A call the plan
        refuses, or that names its own file, is left for its turn."""
        jobs = []
        for call in calls:
            args = call.get("args") or {}
            if call.get("name") in ("generate_video", "synthesize_voice") and not args.get("out"):
                try:
                    job = self.job(call["name"], args)
                except (ValidationError, ToolException):
                    continue
                ledger = self.ledger_call(job, {}, job.file, call["id"])
                jobs.append(Ahead(self, job.kind, ledger, job.make, self.price(job.kind)))
        return jobs

    def replay(self, calls: list[dict[str, Any]]) -> None:
        """Carry out calls this run accepted before (in an earlier step, or before a crash)
        again, to hold what they made: from the cache, with no new ledger rows."""
        self.cache.replaying = True
        try:
            self.execute(calls)
        finally:
            self.cache.replaying = False

    def missing(self, shots: Iterable[int] | None = None) -> list[str]:
        """What each shot (of `shots`, default all) still lacks, in words."""
        problems = []
        for number, calls in self._owed(shots).items():
            lacks = [
                name if name == "generate_video" else f"{name} for line {a['line']}"
                for name, a in calls
            ]
            problems.append(f"shot {number} needs {', '.join(lacks)}")
        return problems

    def owed(self, shots: Iterable[int] | None = None) -> list[str]:
        """The calls still to make, one per line, written as the director would call them:
        only the shot and line (the rest defaults to the approved shot list)."""
        return [
            f"{name} {json.dumps(args, ensure_ascii=False)}"
            for calls in self._owed(shots).values()
            for name, args in calls
        ]

    def owed_calls(self, shots: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """The calls still to make as tool calls, as the approved shot list implies them."""
        return [
            {"name": name, "args": args, "id": f"plan-{name}-{args['shot']}-{args.get('line', 0)}"}
            for calls in self._owed(shots).values()
            for name, args in calls
        ]

    def _owed(self, shots: Iterable[int] | None) -> dict[int, list[tuple[str, dict[str, Any]]]]:
        chosen = set(self.plan if shots is None else shots)
        owed: dict[int, list[tuple[str, dict[str, Any]]]] = {}
        for number, shot in sorted(self.plan.items()):
            if number not in chosen:
                continue
            calls = [] if number in self.videos else [("generate_video", {"shot": number})]
            for line in shot.lines:
                said = {"shot": number, "line": line.line}
                if (number, line.line) not in self.voices:
                    calls.append(("synthesize_voice", said))
                done = self.syncs.get(number, {}).get(line.line)
                if line.speaker in shot.characters and (done is None or done[2] is None):
                    calls.append(("lip_sync", said))
            if calls:
                owed[number] = calls
        return owed

    # the calls -------------------------------------------------------------
    def job(self, name: str, args: dict[str, Any]) -> Job:
        """What a video or voice call makes, checked against the plan: its request and how
        the backend makes it. Such jobs depend on nothing else and may run at once."""
        return self._video_job(args) if name == "generate_video" else self._voice_job(args)

    def _video_job(self, args: dict[str, Any]) -> Job:
        call = GenerateVideo.model_validate(args)
        _not_again(call.shot in self.videos, f"shot {call.shot}'s video")
        shot = self._shot(call.shot)
        chosen = shot.characters if call.characters is None else call.characters
        names = [self._member(name) for name in chosen]
        request = VideoRequest(
            shot=call.shot,
            visual_prompt=call.visual_prompt.strip() or shot.visual_prompt,
            framing=call.framing or shot.framing,
            camera=call.camera or shot.camera,
            duration_seconds=call.duration_seconds or shot.duration_seconds,
            characters=[self.cast[name].look for name in names],
            setting=shot.setting,
        )
        backend, run = self.backends["video"], self.executor.run
        make: Make = partial(run, backend, backend.generate, request)
        if isinstance(backend, RemoteVideoBackend):
            remote = backend
            make = Remote(
                partial(remote.submit, request),
                lambda task, out: run(remote, remote.collect, task, request, out),
            )
        file = f"shot-{call.shot:02d}/video.mp4"
        return Job("generate_video", "video", call.shot, request, make, file)

    def _voice_job(self, args: dict[str, Any]) -> Job:
        call = SynthesizeVoice.model_validate(args)
        _not_again(
            (call.shot, call.line) in self.voices, f"the voice of shot {call.shot} line {call.line}"
        )
        line = self._line(call.shot, call.line, call.speaker)
        request = VoiceRequest(
            shot=call.shot,
            speaker=line.speaker,
            voice_id=self.cast[line.speaker].voice_id,
            text=line.text,
            language=self.language,
        )
        backend = self.backends["voice"]
        speak = partial(self.executor.run, backend, backend.speak, request)
        file = f"shot-{call.shot:02d}/line-{call.line}.wav"
        return Job("synthesize_voice", "voice", call.shot, request, speak, file)

    def _generate_video(self, **args: Any) -> str:
        call = GenerateVideo.model_validate(args)
        job = self.job("generate_video", args)
        relative, target = self._claim(call.out or job.file, call.shot, 0, VIDEO_SUFFIXES)
        self.videos[call.shot] = self._run(job, {}, relative, target)
        self._rechain(call.shot, 0)
        return self._said(self.videos[call.shot])

    def _synthesize_voice(self, **args: Any) -> str:
        call = SynthesizeVoice.model_validate(args)
        job = self.job("synthesize_voice", args)
        relative, target = self._claim(
            call.out or job.file,
            call.shot,
            call.line,
            AUDIO_SUFFIXES,
        )
        self.voices[(call.shot, call.line)] = self._run(job, {}, relative, target)
        self._rechain(call.shot, call.line)
        return self._said(self.voices[(call.shot, call.line)])

    def _lip_sync(self, **args: Any) -> str:
        call = LipSync.model_validate(args)
        synced = self.syncs.get(call.shot, {}).get(call.line)
        _not_again(
            synced is not None and synced[2] is not None,
            f"the lip-sync of shot {call.shot} line {call.line}",
        )
        planned = self._line(call.shot, call.line, call.speaker)
        call = call.model_copy(update={"speaker": planned.speaker})
        named_video = call.video and _clean(call.video, self.root, VIDEO_SUFFIXES)
        named_audio = call.audio and _clean(call.audio, self.root, AUDIO_SUFFIXES)
        video, audio = self.videos.get(call.shot), self.voices.get((call.shot, call.line))
        if video is None or audio is None:
            raise ToolException(
                f"call generate_video for shot {call.shot} and synthesize_voice for its line "
                f"{call.line} first, then lip_sync with the files they made"
            )
        shot_files = {video.path} | {
            done[2].path for done in self.syncs.get(call.shot, {}).values() if done[2]
        }
        if named_video and named_video not in shot_files:
            raise ToolException(f"video must be the file of shot {call.shot}: {video.path}")
        if named_audio and named_audio != audio.path:
            raise ToolException(f"audio must be the file of line {call.line}: {audio.path}")
        self._claim(
            call.out or f"shot-{call.shot:02d}/lipsync-{call.line}.mp4",
            call.shot,
            100 + call.line,
            VIDEO_SUFFIXES,
        )
        self.syncs.setdefault(call.shot, {})[call.line] = (self._call_id, call, None)
        try:
            self._rechain(call.shot, call.line)
        finally:
            done = self.syncs[call.shot][call.line][2]
            if done is None:
                del self.syncs[call.shot][call.line]
        assert done is not None  # made by the chain, or the chain raised
        return self._said(done)

    def _rechain(self, number: int, from_line: int) -> None:
        """Lip-sync a shot's lines in order, each on the picture the one before left."""
        picture, backend = self.videos.get(number), self.backends["lip_sync"]
        for line in sorted(self.syncs.get(number, {})):
            call_id, call, done = self.syncs[number][line]
            if picture is None or (number, line) not in self.voices:
                return
            if line < from_line and done is not None:
                picture = done
                continue
            request = LipSyncRequest(
                shot=number,
                speaker=call.speaker,
                video=picture.path,
                audio=self.voices[(number, line)].path,
                offset_seconds=self.offset(number, line),
            )
            relative, target = self._claim(
                call.out or f"shot-{number:02d}/lipsync-{line}.mp4",
                number,
                100 + line,
                VIDEO_SUFFIXES,
            )
            inputs = {"video": self.root / picture.path, "audio": self.root / request.audio}
            sync = partial(self.executor.run, backend, backend.sync, request, self.root)
            job = Job("lip_sync", "lip_sync", number, request, sync, relative)
            picture = self._run(job, inputs, relative, target, call_id)
            self.syncs[number][line] = (call_id, call, picture)

    def offset(self, number: int, line: int) -> float:
        """When a line starts within its shot: the shot's earlier lines, then a pause."""
        start = LEAD_SECONDS
        for planned in self.plan[number].lines:
            if planned.line == line:
                return round(start, 3)
            voice = self.voices.get((number, planned.line))
            if voice is None:
                raise ToolException(f"line {planned.line} of shot {number} has no voice yet")
            start += voice.duration_seconds + GAP_SECONDS
        raise ToolException(f"shot {number} has no line {line}")

    # helpers ---------------------------------------------------------------
    def ledger_call(self, job: Job, inputs: dict[str, Path], relative: str, call_id: str) -> Call:
        backend = self.backends[job.kind]
        key = self.cache.key(job.tool, identity(backend), job.request, inputs)
        return Call(job.tool, backend.name, key, job.shot, call_id, relative)

    def price(self, kind: str) -> float | None:
        """The configured price per second of output of the `kind` backend, if any."""
        return self.prices.get(kind, {}).get(self.backends[kind].name)

    def _run(
        self,
        job: Job,
        inputs: dict[str, Path],
        relative: str,
        target: Path,
        call_id: str | None = None,
    ) -> MediaResult:
        try:
            call = self.ledger_call(job, inputs, relative, call_id or self._call_id)
            result, _ = self.cache.call(call, target, job.make, self.price(job.kind))
        except RenderError as exc:
            raise ToolException(str(exc)) from None
        return result

    def _claim(
        self, relative: str, shot: int, slot: int, suffixes: tuple[str, ...]
    ) -> tuple[str, Path]:
        try:
            target = inside(self.root, relative, suffixes)
        except RenderError as exc:
            raise ToolException(str(exc)) from None
        if target.name.startswith("episode") and target.parent == self.root.resolve():
            raise ToolException(f"{relative!r} is reserved for the finished episode")
        owner = self.outputs.setdefault(target, (self._call_id, shot, slot))
        if owner[1:] != (shot, slot):
            raise ToolException(f"{relative!r} is already the file of another call")
        return target.relative_to(self.root.resolve()).as_posix(), target

    def _shot(self, number: int) -> PlannedShot:
        if number not in self.plan:
            raise ToolException(f"there is no shot {number}; shots are 1 to {max(self.plan)}")
        return self.plan[number]

    def _line(self, number: int, line: int, speaker: str) -> PlannedLine:
        shot = self._shot(number)
        planned = next((p for p in shot.lines if p.line == line), None)
        if planned is None:
            spoken = ", ".join(str(p.line) for p in shot.lines) or "none"
            raise ToolException(f"shot {number} does not speak line {line} (its lines: {spoken})")
        if speaker.strip() and speaker.strip().casefold() != planned.speaker.casefold():
            raise ToolException(f"line {line} of shot {number} is {planned.speaker}'s")
        return planned

    def _member(self, name: str) -> str:
        for known in self.cast:
            if known.casefold() == name.strip().casefold():
                return known
        raise ToolException(f"{name!r} is not in the cast ({', '.join(self.cast)})")

    @staticmethod
    def _said(result: MediaResult) -> str:
        return f"{result.path} ({result.duration_seconds:.2f} s, cost {result.cost:g})"


@dataclass(frozen=True)
class Ahead:
    """A video or voice made before its call's turn, by `studio`'s cache."""

    studio: Studio
    kind: str
    call: Call
    make: Make
    price: float | None

    def __call__(self) -> None:
        board = self.studio.board
        board.started(self.studio.cache.episode, self.call)
        try:
            self.studio.cache.ahead(self.call, self.make, self.price)
        finally:
            board.finished(self.call)


def make_together(productions: list[tuple[Studio, list[dict[str, Any]]]]) -> None:
    """Make what the calls of one or more productions (the episodes of a season) make ahead,
    all at once: as many per backend at a time as the first production's concurrency allows."""
    jobs = [job for studio, calls in productions for job in studio.ahead(calls)]
    if not jobs:
        return
    first = productions[0][0]
    bounds = first.concurrency
    first.executor.start()
    for studio in {id(job.studio): job.studio for job in jobs}.values():
        studio.board.expect(sum(1 for job in jobs if job.studio is studio))
    pools = {
        kind: ThreadPoolExecutor(bounds.get(kind, 1), f"render-{kind}")
        for kind in {job.kind for job in jobs}
    }
    try:
        for job in jobs:
            pools[job.kind].submit(job)
    finally:
        for pool in pools.values():
            pool.shutdown(wait=True)


def _not_again(made: bool, what: str) -> None:
    """A call for what this production made already is refused: it would be paid twice."""
    if made:
        raise ToolException(f"{what} is made already; call only for what is still missing")


def _clean(relative: str, root: Path, suffixes: tuple[str, ...]) -> str:
    try:
        return inside(root, relative, suffixes).relative_to(root.resolve()).as_posix()
    except RenderError as exc:
        raise ToolException(str(exc)) from None


def _call_order(call: dict[str, Any]) -> tuple[int, int, int]:
    args = call.get("args")
    given = args if isinstance(args, dict) else {}
    shot, line = given.get("shot"), given.get("line")
    return (
        ORDER.get(call.get("name", ""), 3),
        shot if isinstance(shot, int) else 0,
        line if isinstance(line, int) else 0,
    )


def _error(call: dict[str, Any], problem: str) -> ToolMessage:
    return ToolMessage(content=problem, tool_call_id=call["id"], name=call["name"], status="error")


def _problem(exc: ValidationError | Exception) -> str:
    return summarize(exc) if isinstance(exc, ValidationError) else str(exc)
