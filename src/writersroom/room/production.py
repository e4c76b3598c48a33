"""Production: the director calls the tools for the approved shot list; the editor cuts.

The graph's `direct` node asks the director (`ask_director`, the studio's tools bound to its
model) for the next shots that lack a call; `run_tools` carries the calls out (`carry_out`) and
sends back whatever a shot still lacks (a missing or malformed call is never skipped). The
accepted calls are kept with the episode, so `render` can make the episode again from them: the
cache turns every unchanged call into a copy, and a changed line into one new voice, its
lip-sync and a new cut.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from functools import partial
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool, StructuredTool

from writersroom.config import ProductionConfig, ProjectConfig
from writersroom.errors import InputError, ModelError
from writersroom.memory import EpisodeStatus, Memory
from writersroom.room import answers
from writersroom.room.prompting import compact, template
from writersroom.schemas import EpisodeOutline, Script, SeriesBible, Shot, ShotList
from writersroom.speech import CJK, TAIL_SECONDS
from writersroom.tools import registry, sheets, voices
from writersroom.tools.assemble import AssembleRequest, CutLine, CutShot
from writersroom.tools.base import CharacterLook, ImageBackend, MediaResult
from writersroom.tools.board import JobBoard
from writersroom.tools.cache import Call, RenderCache
from writersroom.tools.calls import CastMember, PlannedLine, PlannedShot
from writersroom.tools.executor import executor_for
from writersroom.tools.lipsync import AUDIO_SUFFIXES, VIDEO_SUFFIXES
from writersroom.tools.safety import inside
from writersroom.tools.toolkit import Studio, make_together

AGENT = "director"
TASK = "produce"  # the director's tool calls (its prompt: prompts/produce.md)
RENDER_DIR = "render"
KANA = re.compile(r"[\u3040-\u30ff]")


def episode_folder(project: Path, episode: int) -> Path:
    return project / RENDER_DIR / f"episode-{episode:02d}"


def language_of(config: ProjectConfig, script: Script) -> str:
    """The configured language, or (auto) Chinese when most of the dialogue is CJK text,
    Japanese when that text has kana."""
    if config.production.language != "auto":
        return config.production.language
    text = "".join(line.text for scene in script.scenes for line in scene.lines)
    letters = [c for c in text if c.isalpha()]
    if not letters or len(CJK.findall(text)) <= len(letters) / 2:
        return "en"
    return "ja" if KANA.search(text) else "zh"


def cast_members(memory: Memory, bible: SeriesBible, language: str) -> dict[str, CastMember]:
    """Each character's seed and voice: chosen the first time, then kept in series memory."""
    table = memory.db.table("characters")
    rows = {row["name"]: row for row in table.rows}
    taken = [row["voice_id"] for row in rows.values() if row.get("voice_id")]
    members = {}
    with memory.db.conn:
        for character in bible.characters:
            row = rows.get(character.name) or {}
            seed = row.get("seed") or seed_of(character.name)
            voice = row.get("voice_id")
            if not voice:
                about = " ".join(
                    [
                        character.role,
                        character.look,
                        character.voice,
                        character.arc,
                        *character.secrets,
                    ]
                )
                voice = voices.cast(about, language, taken)
                taken.append(voice)
            if not row:
                record = {**character.model_dump(mode="json"), "seed": seed, "voice_id": voice}
                record["secrets"] = json.dumps(record["secrets"], ensure_ascii=False)
                table.insert(record, pk="name", alter=True)
            elif row.get("seed") != seed or row.get("voice_id") != voice:
                table.update(character.name, {"seed": seed, "voice_id": voice})
            look = CharacterLook(name=character.name, look=character.look, seed=seed)
            members[character.name] = CastMember(look=look, voice_id=voice)
    return members


def seed_of(name: str) -> int:
    """The seed a character is drawn with, from their name (kept in series memory once cast)."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def image_backend(production: ProductionConfig) -> ImageBackend:
    """The configured backend that draws the characters' reference sheets."""
    return registry.load("image", production.image, production.options.get(production.image))


def image_price(production: ProductionConfig) -> float | None:
    """`[production.prices.image]`: the configured price of one picture (one view of a sheet)
    of the image backend, if any; images have no seconds to price."""
    return production.prices.get("image", {}).get(production.image)


def plan_of(script: Script, shots: ShotList) -> dict[int, PlannedShot]:
    scenes = {scene.number: scene for scene in script.scenes}
    plan = {}
    for shot in shots.shots:
        scene = scenes[shot.scene]
        lines = [
            PlannedLine(n, scene.lines[n - 1].speaker, scene.lines[n - 1].text) for n in shot.lines
        ]
        plan[shot.number] = PlannedShot(
            shot.number,
            shot.scene,
            scene.heading,
            shot.characters,
            lines,
            shot.framing,
            shot.camera,
            shot.duration_seconds,
            shot.visual_prompt,
        )
    return plan


def open_studio(
    config: ProjectConfig,
    memory: Memory,
    project: Path,
    episode: int,
    drafts: tuple[SeriesBible, Script, ShotList],
    run: int | None = None,
    invocation: str | None = None,
    board: JobBoard | None = None,
    draw: bool = True,
) -> Studio:
    """The episode's production; `run` numbers it in the cost ledger (default the next),
    `invocation` is the command carrying it out (see `RenderCache`), and `board` shows its
    jobs in flight. The cast's sheets are drawn where they lack a view (paid in this run),
    unless `draw` is False: then the cast has the sheets as they are (what an estimate
    counts)."""
    bible, script, shots = drafts
    production = config.production
    language = language_of(config, script)
    root = episode_folder(project, episode)
    root.mkdir(parents=True, exist_ok=True)
    video, voice, lip_sync = production.video, production.voice, production.lip_sync
    options = production.options
    backends: dict[str, registry.Backend] = {
        "video": registry.load("video", video, options.get(video)),
        "voice": registry.load("voice", voice, options.get(voice)),
        "lip_sync": registry.load("lip_sync", lip_sync, options.get(lip_sync)),
    }
    executor = executor_for(config.executor)
    cast = cast_members(memory, bible, language)
    cache = RenderCache(memory.db, project / RENDER_DIR, episode, run, invocation)
    looks = [member.look for member in cast.values()]
    if draw:
        looks = sheets.with_sheets(cache, looks, image_backend(production), image_price(production))
    else:
        looks = [sheets.sheeted(memory.db, look, cache.root) for look in looks]
    for member, look in zip(cast.values(), looks, strict=True):
        member.look = look
    return Studio(
        root=root,
        cache=cache,
        backends=backends,
        concurrency={
            kind: production.concurrency.get(b.name) or executor.bound(b)
            for kind, b in backends.items()
        },
        executor=executor,
        board=board or JobBoard(),
        prices=production.prices,
        plan=plan_of(script, shots),
        cast=cast,
        language=language,
    )


def messages_for(studio: Studio, bible: SeriesBible, shots: list[Shot]) -> list[BaseMessage]:
    parts = template("produce")
    cast = compact([{"name": c.name, "look": c.look} for c in bible.characters])
    listed = []
    for shot in shots:
        item = shot.model_dump(mode="json", exclude={"lines"})
        item["lines"] = {
            str(line.line): f"{line.speaker}: {line.text}"
            for line in studio.plan[shot.number].lines
        }
        listed.append(item)
    values = {"cast": cast, "shots": compact(listed)}
    return [
        SystemMessage(content=parts["system"].substitute(values)),
        HumanMessage(content=parts["user"].substitute(values)),
    ]


def open_production(
    room: Any, drafts: tuple[SeriesBible, Script, ShotList], run: int | None, draw: bool = True
) -> Studio:
    """The episode's studio holding what the director's accepted calls made so far: they are
    carried out again from the cache, which adds no ledger row and pays nothing. `draw`
    False: nothing is drawn nor carried out (the studio a budget check estimates)."""
    studio = open_studio(
        room.config,
        room.memory,
        room.models.project,
        room.episode,
        drafts,
        run,
        room.invocation,
        room.board,
        draw,
    )
    kept = (room.memory.episode(room.episode) or {}).get("calls")
    if kept and draw:
        studio.replay(json.loads(kept))
    return studio


def next_shots(studio: Studio, size: int) -> list[int]:
    """The next `size` shots (`[production] shots_per_answer`) that still lack a call: the
    director is given a few at a time, so that their calls fit one answer and the conversation
    a small model's context."""
    return [number for number in sorted(studio.plan) if studio.missing([number])][:size]


def ask_director(
    room: Any, studio: Studio, bible: SeriesBible, shots: list[Shot], refused: str
) -> tuple[AIMessage, answers.Usage]:
    """One answer of tool calls for `shots`: the shot list and the calls still owed, after a
    refusal also what was refused and why. A bounded prompt: a small model copies an owed call
    better than it continues a long conversation."""
    room.report(AGENT, TASK, None)
    model = room.models.for_agent(AGENT)
    try:
        bound = model.chat.bind_tools(studio.tools())
    except NotImplementedError:
        raise ModelError(AGENT, model.name, "this provider cannot call tools") from None
    owed = studio.owed(shot.number for shot in shots)
    system, shot_list = messages_for(studio, bible, shots)
    request = f"{shot_list.content}\n\n{refused}{_calls_to_make(owed)}"
    started = time.perf_counter()
    try:
        reply = bound.invoke(
            [system, HumanMessage(content=request)],
            config={
                "metadata": {"agent": AGENT, "task": TASK},
                "run_name": f"{AGENT}.{TASK}",
                "callbacks": room.callbacks,
            },
        )
    except model.transport_errors as exc:
        raise ModelError(AGENT, model.name, model.describe_error(exc)) from None
    assert isinstance(reply, AIMessage)
    return reply, answers.usage_of(reply, AGENT, model.name, TASK, started)


def carry_out(studio: Studio, calls: list[Any], invalid: list[Any]) -> str:
    """Make an answer's tool calls; what was refused in it (`invalid`: the calls that were
    not even JSON) and why, for the next ask."""
    results = studio.execute(list(calls))
    failed = [f"{m.name}: {m.content}" for m in results if m.status == "error"] + [
        f"{bad.get('name') or 'a call'}: malformed, {bad.get('error') or 'not JSON'}"
        for bad in invalid
    ]
    return "".join(f"Refused in your last answer: {f}\n" for f in failed)


def _calls_to_make(owed: list[str]) -> str:
    return "Not produced yet; make exactly these calls now:\n" + "\n".join(owed)


def summary(studio: Studio) -> dict[str, Any]:
    """Per shot, the final picture and the lines placed on it: what the cut is made of."""
    shots = []
    for number, shot in sorted(studio.plan.items()):
        picture = studio.videos[number]
        for line in sorted(studio.syncs.get(number, {})):
            done = studio.syncs[number][line][2]
            picture = done if done is not None else picture
        lines, end = [], 0.0
        for planned in shot.lines:
            voice = studio.voices[(number, planned.line)]
            start = studio.offset(number, planned.line)
            end = start + voice.duration_seconds
            lines.append(
                {
                    "line": planned.line,
                    "speaker": planned.speaker,
                    "text": planned.text,
                    "audio": voice.path,
                    "start_seconds": start,
                    "duration_seconds": voice.duration_seconds,
                }
            )
        duration = max(picture.duration_seconds, end + TAIL_SECONDS if lines else 0.0)
        shots.append(
            {
                "shot": number,
                "video": picture.path,
                "duration_seconds": round(duration, 3),
                "lines": lines,
            }
        )
    return {"run": studio.cache.run, "language": studio.language, "shots": shots}


def assemble_tool(
    config: ProjectConfig, memory: Memory, project: Path, episode: int, run: int
) -> BaseTool:
    """The `assemble` tool of one episode's run: through the cache, inside its render folder."""
    root = episode_folder(project, episode)
    name = config.production.assemble
    backend = registry.load("assemble", name, config.production.options.get(name))
    cache = RenderCache(memory.db, project / RENDER_DIR, episode, run)

    def assemble(**args: Any) -> str:
        request = AssembleRequest.model_validate(args)
        inputs = {}
        for shot in request.shots:
            inputs[f"video-{shot.shot}"] = inside(root, shot.video, VIDEO_SUFFIXES)
            for index, line in enumerate(shot.lines):
                inputs[f"audio-{shot.shot}-{index}"] = inside(root, line.audio, AUDIO_SUFFIXES)
        key = cache.key("assemble", backend.name, request, inputs)
        result, _ = cache.call(
            Call("assemble", backend.name, key, 0, "cut", "episode.mp4"),
            root / "episode.mp4",
            partial(backend.assemble, request, root),
            config.production.prices.get("assemble", {}).get(backend.name),
        )
        return result.model_dump_json()

    return StructuredTool.from_function(
        func=assemble,
        name="assemble",
        description=" ".join((AssembleRequest.__doc__ or "").split()),
        args_schema=AssembleRequest,
    )


def cut(
    config: ProjectConfig,
    memory: Memory,
    project: Path,
    episode: int,
    made: dict[str, Any],
    titles: tuple[str, str, int],
) -> dict[str, Any]:
    """Assemble the episode (through the cache) into episode.mp4 and episode.srt."""
    series, title, target = titles
    root = episode_folder(project, episode)
    request = AssembleRequest(
        series=series,
        title=title,
        episode=episode,
        title_seconds=config.production.title_seconds,
        shots=[
            CutShot(
                shot=s["shot"],
                video=s["video"],
                duration_seconds=s["duration_seconds"],
                lines=[CutLine.model_validate(line) for line in s["lines"]],
            )
            for s in made["shots"]
        ],
    )
    tool = assemble_tool(config, memory, project, episode, made["run"])
    result = MediaResult.model_validate_json(tool.invoke(request.model_dump(mode="json")))
    (root / "episode.srt").write_text(result.meta.get("srt", ""), encoding="utf-8")
    # What the cut is made of, for the editors' timelines (`export --timeline`).
    (root / "cut.json").write_text(request.model_dump_json(indent=2), encoding="utf-8")
    video = (root / "episode.mp4").relative_to(project).as_posix()
    memory.upsert_episode(
        episode, video=video, runtime_seconds=result.duration_seconds, status=EpisodeStatus.CUT
    )
    planned = sum(s["duration_seconds"] for s in made["shots"])
    return {
        "video": video,
        "srt": (root / "episode.srt").relative_to(project).as_posix(),
        "runtime_seconds": result.duration_seconds,
        "shots_seconds": round(planned, 3),
        "target_seconds": target,
    }


def stored_drafts(
    memory: Memory, episode: int
) -> tuple[SeriesBible, Script, ShotList, EpisodeOutline]:
    """The episode's approved bible, script, shot list and outline."""
    row = memory.episode(episode)
    bible = memory.bible()
    if row is None or bible is None or not row.get("shots"):
        raise InputError(
            f"episode {episode} has no approved shot list yet: approve its shots first "
            "(`writersroom status`)"
        )
    return (
        SeriesBible.model_validate(bible),
        Script.model_validate_json(row["script"]),
        ShotList.model_validate_json(row["shots"]),
        EpisodeOutline.model_validate_json(row["outline"]),
    )


def render(
    config: ProjectConfig,
    memory: Memory,
    project: Path,
    episodes: list[int],
    board: JobBoard | None = None,
) -> dict[int, dict[str, Any]]:
    """Make episodes again from their director's calls; only what changed is made anew. The
    videos and voices of all of them are made at once (within each backend's bound), then
    each episode is carried out in order and cut."""
    opened = []
    for episode in episodes:
        bible, script, shots, outline = stored_drafts(memory, episode)
        studio = open_studio(config, memory, project, episode, (bible, script, shots), board=board)
        calls = json.loads((memory.episode(episode) or {}).get("calls") or "[]")
        titles = (bible.title, script.title, outline.target_runtime_seconds)
        opened.append((studio, calls, titles))
    make_together([(studio, calls) for studio, calls, _ in opened])
    results = {}
    for studio, calls, titles in opened:
        episode = studio.cache.episode
        failed = [m.content for m in studio.execute(calls) if m.status == "error"]
        if failed or studio.missing():
            problems = "; ".join([*map(str, failed), *studio.missing()])
            raise InputError(f"episode {episode} cannot be made from its calls again: {problems}")
        made = summary(studio)
        results[episode] = made | {"cut": cut(config, memory, project, episode, made, titles)}
    return results
