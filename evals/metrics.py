"""Deterministic metrics of an episode: numbers that need no judge.

Times are measured on the rendered cut when there is one (`"timing": "rendered"`: the subtitles
place each line, the voices' real durations give the speech rate, the video its runtime; see
`cut`). Otherwise they come from the director's shot list (each shot starts where the previous
ended; a line is spoken in the first shot that lists it) or, without one, from the text:
dialogue by writersroom.speech and action at ACTION_WORDS_PER_SECOND. Both are marked
`"timing": "estimated"`: the shot list is fitted to the same speech estimate, so a speech rate
computed from it cannot come out too fast.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ValidationError

from writersroom.continuity import quality
from writersroom.evals.controls import introductions_out_of_order
from writersroom.evals.cut import voice_seconds
from writersroom.evals.episodes import Episode
from writersroom.evals.settings import EvalSettings
from writersroom.room.answers import summarize
from writersroom.schemas import EpisodeOutline, Script, SeriesBible, ShotList
from writersroom.speech import (
    CJK,
    TOKEN,
    spoken_seconds,
    words,
)

ACTION_WORDS_PER_SECOND = 4.0
HOOK_SECONDS = 5.0  # the hook must land within the first seconds
CLIFFHANGER_SHARE = 0.8  # the last beat lands in the last fifth of the runtime
FAST_SPEECH_WPS = 3.0  # faster than ~180 words a minute is hard to speak
# The room's drafting tasks and the kind of draft each accepted answer becomes.
DRAFT_TASKS = {
    "develop_series": "bible",
    "outline_episode": "outline",
    "write_script": "script",
    "check_continuity": "continuity",
    "review_script": "critique",
    "plan_shots": "shots",
}
OPEN_ENDINGS = ("?", "!", "…", "...", "—", "--", "？", "！")


@cache
def lexicon() -> dict[str, tuple[str, ...]]:
    text = files("writersroom.evals").joinpath("lexicon.toml").read_text(encoding="utf-8")
    return {key: tuple(words) for key, words in tomllib.loads(text).items()}


def has_cue(text: str, kind: str) -> bool:
    """Whether `text` holds one of the lexicon's `kind` cues (whole words; CJK as substrings)."""
    lowered = text.casefold()
    for cue in lexicon()[kind]:
        if CJK.search(cue):
            if cue in text:
                return True
        elif re.search(rf"(?<![\w]){re.escape(cue)}(?![\w])", lowered):
            return True
    return False


def tokens(text: str) -> list[str]:
    """Words (lower case) of Latin-like scripts and single characters of CJK scripts."""
    return [t.casefold() for t in TOKEN.findall(text)]


def distinct_n(lines: list[str], n: int) -> float | None:
    """Unique n-grams over all n-grams of the lines (n-grams do not cross lines)."""
    grams = [
        tuple(toks[i : i + n]) for toks in map(tokens, lines) for i in range(len(toks) - n + 1)
    ]
    return len(set(grams)) / len(grams) if grams else None


def timeline(episode: Episode) -> tuple[dict[tuple[int, int], float], dict[int, float], float, str]:
    """When each line (scene, line) and each scene starts, the total runtime, and how known."""
    scenes = episode.script.get("scenes", [])
    shots = (episode.shots or {}).get("shots") or []
    lines: dict[tuple[int, int], float] = {}
    starts: dict[int, float] = {}
    if shots:
        now = 0.0
        for shot in shots:
            starts.setdefault(shot["scene"], now)
            for number in shot.get("lines", []):
                lines.setdefault((shot["scene"], number), now)
            now += float(shot["duration_seconds"])
        for scene in scenes:  # a line no shot lists is heard at the start of its scene
            for i, _ in enumerate(scene.get("lines", []), 1):
                if scene["number"] in starts:
                    lines.setdefault((scene["number"], i), starts[scene["number"]])
        return lines, starts, now, "estimated"
    now = 0.0
    for scene in scenes:
        starts[scene["number"]] = now
        now += words(scene.get("action", "")) / ACTION_WORDS_PER_SECOND
        for i, line in enumerate(scene.get("lines", []), 1):
            lines[(scene["number"], i)] = now
            now += spoken_seconds(line.get("text", ""))
    return lines, starts, now, "estimated"


def rendered_hook(episode: Episode) -> dict[str, Any]:
    """The hook as the cut plays it: the first subtitle, and the first with a conflict cue."""
    cues = episode.subtitles
    first_line = cues[0]["start"]
    conflicts = [c["start"] for c in cues if has_cue(c["text"], "conflict")]
    first_conflict = min(conflicts, default=None)
    seconds = min(t for t in (first_line, first_conflict) if t is not None)
    return {
        "first_line_seconds": first_line,
        "first_conflict_seconds": first_conflict,
        "hook_seconds": seconds,
        "hook_in_time": seconds <= HOOK_SECONDS,
        "timing": "rendered",
    }


def hook(episode: Episode) -> dict[str, Any]:
    if episode.subtitles:
        return rendered_hook(episode)
    line_times, starts, _, timing = timeline(episode)
    first_line = min(line_times.values(), default=None)
    conflicts = []
    for scene in episode.script.get("scenes", []):
        if scene["number"] in starts and has_cue(scene.get("action", ""), "conflict"):
            conflicts.append(starts[scene["number"]])
        for i, line in enumerate(scene.get("lines", []), 1):
            if (scene["number"], i) in line_times and has_cue(line.get("text", ""), "conflict"):
                conflicts.append(line_times[(scene["number"], i)])
    first_conflict = min(conflicts, default=None)
    known = [t for t in (first_line, first_conflict) if t is not None]
    seconds = min(known) if known else None
    return {
        "first_line_seconds": first_line,
        "first_conflict_seconds": first_conflict,
        "hook_seconds": seconds,
        "hook_in_time": seconds is not None and seconds <= HOOK_SECONDS,
        "timing": timing,
    }


def runtime(episode: Episode) -> dict[str, Any]:
    _, _, total, timing = timeline(episode)
    if episode.video_seconds:
        total, timing = float(episode.video_seconds), "rendered"
    target = (episode.outline or {}).get("target_runtime_seconds")
    return {
        "video_seconds": episode.video_seconds,
        "runtime_seconds": round(total, 2),
        "target_runtime_seconds": target,
        "runtime_ratio": round(total / target, 3) if target else None,
        "timing": timing,
    }


def cliffhanger(episode: Episode) -> dict[str, Any]:
    """A beat at the end (from the outline) and an open last moment (from the script)."""
    beat_at_end = None
    outline = episode.outline or {}
    if outline.get("beats") and outline.get("target_runtime_seconds"):
        last = outline["beats"][-1]["at_seconds"]
        beat_at_end = last >= CLIFFHANGER_SHARE * outline["target_runtime_seconds"]
    scenes = episode.script.get("scenes", [])
    last_scene = scenes[-1] if scenes else {}
    last_lines = last_scene.get("lines", [])
    ending = last_lines[-1]["text"] if last_lines else last_scene.get("action", "")
    open_end = ending.rstrip().endswith(OPEN_ENDINGS) or has_cue(
        last_scene.get("action", "") + "\n" + ending, "cliffhanger"
    )
    return {"cliffhanger_beat_at_end": beat_at_end, "ends_open": open_end}


def speech_rate(episode: Episode) -> dict[str, Any]:
    """Words and characters per second of speech: over the voices' real durations when the
    episode is rendered, else over the shots that carry dialogue (estimated; needs shots)."""
    voiced = voice_seconds(episode.renders)
    if voiced:
        text = " ".join(
            line.get("text", "")
            for s in episode.script.get("scenes", [])
            for line in s.get("lines", [])
        )
        wps = words(text) / voiced
        return {
            "speech_wps": round(wps, 3),
            "speech_cps": round(sum(1 for c in text if not c.isspace()) / voiced, 3),
            "speech_too_fast": wps > FAST_SPEECH_WPS,
            "speech_timing": "rendered",
        }
    shots = (episode.shots or {}).get("shots") or []
    scenes = {s["number"]: s.get("lines", []) for s in episode.script.get("scenes", [])}
    heard: set[tuple[int, int]] = set()
    spoken, seconds = [], 0.0
    for shot in shots:
        new = [
            n
            for n in dict.fromkeys(shot.get("lines", []))
            if (shot["scene"], n) not in heard and 1 <= n <= len(scenes.get(shot["scene"], []))
        ]
        if new:
            seconds += float(shot["duration_seconds"])
            spoken += [scenes[shot["scene"]][n - 1]["text"] for n in new]
            heard |= {(shot["scene"], n) for n in new}
    if not seconds:
        return {
            "speech_wps": None,
            "speech_cps": None,
            "speech_too_fast": None,
            "speech_timing": None,
        }
    text = " ".join(spoken)
    wps = words(text) / seconds
    return {
        "speech_wps": round(wps, 3),
        "speech_cps": round(sum(1 for c in text if not c.isspace()) / seconds, 3),
        "speech_too_fast": wps > FAST_SPEECH_WPS,
        "speech_timing": "estimated",
    }


def lines_and_repetition(episode: Episode) -> dict[str, Any]:
    scenes = episode.script.get("scenes", [])
    counts = [len(s.get("lines", [])) for s in scenes]
    texts = [line.get("text", "") for s in scenes for line in s.get("lines", [])]
    normalized = [" ".join(tokens(t)) for t in texts]
    return {
        "scenes": len(scenes),
        "lines": len(texts),
        "lines_per_scene": round(sum(counts) / len(counts), 3) if counts else None,
        "distinct_1": distinct_n(texts, 1),
        "distinct_2": distinct_n(texts, 2),
        "repeated_lines": sum(c - 1 for c in Counter(normalized).values() if c > 1),
        "introduced_late": introductions_out_of_order(episode.script),
    }


def craft(episode: Episode) -> dict[str, Any]:
    """The room's own deterministic gates: repeats, monologues, junk, speakers, the premise's
    roles lost and loglines copied (None where the draft is missing or invalid)."""
    result: dict[str, Any] = dict.fromkeys(
        ("repeats", "monologues", "junk", "speakers", "premise_roles_lost", "copied_loglines")
    )
    try:
        script = Script.model_validate(episode.script)
        kinds = Counter(problem.kind for problem in quality.script_problems(script))
        result |= {
            "repeats": kinds["repeat"],
            "monologues": kinds["monologue"],
            "junk": kinds["junk"],
        }
        result["speakers"] = len(script.speakers())
        if episode.bible and episode.premise:
            bible = SeriesBible.model_validate(episode.bible)
            result["premise_roles_lost"] = len(quality.lost_roles(bible, episode.premise))
            result["copied_loglines"] = len(quality.copied_loglines(bible))
    except ValidationError:
        return result  # `validity` reports the invalid draft
    return result


def validity(episode: Episode) -> dict[str, Any]:
    """Each draft against its schema and the room's cross-checks; the share of the drafting
    tasks' model answers the room accepted (each is a usage row; each accepted one a draft)."""
    problems: list[str] = []
    checks: list[tuple[str, type[BaseModel], Any]] = [
        ("script", Script, episode.script),
        ("outline", EpisodeOutline, episode.outline),
    ]
    checks += [("shots", ShotList, episode.shots), ("bible", SeriesBible, episode.bible)]
    parsed: dict[str, Any] = {}
    for kind, schema, draft in checks:
        if draft is None:
            continue
        try:
            parsed[kind] = schema.model_validate(draft)
        except ValidationError as exc:
            problems.append(f"{kind}: {summarize(exc, limit=2)}")
    try:
        if "script" in parsed and "bible" in parsed:
            parsed["script"].check_cast(parsed["bible"])
        if {"shots", "script", "bible"} <= set(parsed):
            parsed["shots"].check_against(parsed["script"], parsed["bible"])
    except ValueError as exc:
        problems.append(str(exc))
    accepted = None
    calls = [u for u in episode.usage if u["task"] in DRAFT_TASKS]
    if episode.from_room and calls:
        kinds = set(DRAFT_TASKS.values())
        written = sum(1 for d in episode.drafts if d["agent"] != "person" and d["kind"] in kinds)
        accepted = round(min(written, len(calls)) / len(calls), 3)
    return {"schema_valid": not problems, "schema_problems": problems, "answers_accepted": accepted}


def continuity(episode: Episode) -> dict[str, Any]:
    """Issues by severity in the last continuity report, and in the first (before revisions)."""
    if not episode.continuity:
        return {"continuity_errors": None, "continuity_warnings": None, "continuity_first": None}
    last = [i["severity"] for i in episode.continuity[-1].get("issues", [])]
    first = [i["severity"] for i in episode.continuity[0].get("issues", [])]
    return {
        "continuity_errors": last.count("error"),
        "continuity_warnings": last.count("warning"),
        "continuity_first": {"errors": first.count("error"), "warnings": first.count("warning")},
    }


def revisions(episode: Episode) -> dict[str, Any]:
    if not episode.from_room:
        return {"revision_rounds": None, "person_revisions": None}
    # the screenwriter's drafts: not a person's edit, nor the better draft the editor put back
    scripts = [d for d in episode.drafts if d["kind"] == "script" and d["agent"] == "screenwriter"]
    return {
        "revision_rounds": max(len(scripts) - 1, 0),
        "person_revisions": sum(1 for d in episode.decisions if d["action"] == "revise"),
    }


def usage(episode: Episode, settings: EvalSettings) -> dict[str, Any]:
    """Calls, tokens, seconds and cost per agent (the room's usage rows) and per render tool
    (its ledger), and in total."""
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"calls": 0, "input_tokens": 0, "output_tokens": 0, "seconds": 0.0, "cost": 0.0}
    )
    for row in episode.usage:
        agent = per[row["agent"]]
        agent["calls"] += 1
        agent["input_tokens"] += row["input_tokens"]
        agent["output_tokens"] += row["output_tokens"]
        agent["seconds"] = round(agent["seconds"] + row["seconds"], 3)
        cost = settings.cost(row["model"], row["input_tokens"], row["output_tokens"])
        agent["cost"] = None if cost is None or agent["cost"] is None else agent["cost"] + cost
    agents = dict(sorted(per.items()))
    tools: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"calls": 0, "made": 0, "seconds": 0.0, "cost": 0.0}
    )
    for row in episode.renders:
        tool = tools[row["tool"]]
        tool["calls"] += 1
        tool["made"] += 0 if row["cached"] else 1
        tool["seconds"] = round(tool["seconds"] + (row["seconds"] or 0.0), 3)
        tool["cost"] = round(tool["cost"] + (row["cost"] or 0.0), 6)
    costs = [a["cost"] for a in agents.values()]
    render_cost = round(sum(t["cost"] for t in tools.values()), 6)
    return {
        "agents": agents,
        "tools": dict(sorted(tools.items())),
        "tokens": sum(a["input_tokens"] + a["output_tokens"] for a in agents.values()),
        "model_seconds": round(sum(a["seconds"] for a in agents.values()), 3),
        "render_seconds": round(sum(t["seconds"] for t in tools.values()), 3),
        "render_cost_usd": render_cost,
        "cost_usd": None if None in costs else round(sum(costs) + render_cost, 6),
    }


def measure(episode: Episode, settings: EvalSettings | None = None) -> dict[str, Any]:
    """Every deterministic metric of an episode, as one flat-ish dict."""
    result: dict[str, Any] = {}
    for part in (hook, runtime, cliffhanger, speech_rate, lines_and_repetition, craft, validity):
        result |= part(episode)
    result |= continuity(episode) | revisions(episode)
    result["usage"] = usage(episode, settings or EvalSettings())
    return result
