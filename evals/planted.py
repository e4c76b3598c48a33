"""`writersroom eval planted`: continuity errors planted by program into DramaBench scripts.

Each of the 100 DramaBench short-drama scripts (`evaldata/dramabench`, written by others, MIT)
is checked untouched, then once per error type with one error planted: a character dies in one
scene (said, with a pronoun, or shown) and speaks later; a speaker's name is retyped by one
letter; a prop is destroyed or lost, then used; an age is stated against the cast's; a
CONTINUOUS scene turns day to night. Phrasings come from `planting_phrases` (kept apart from the
rules' words) by a fixed seed. A plant is found when the rules raise its type in one of the
scenes where it shows; every other new issue of a copy is a false alarm.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from writersroom.agents import continuity
from writersroom.continuity import checker
from writersroom.continuity.canon import Canon, CanonCharacter
from writersroom.continuity.rules import Rules
from writersroom.errors import InputError, ModelError, WritersroomError
from writersroom.evals import planting_phrases, planting_phrases_second, planting_phrases_third
from writersroom.evals.continuity_eval import pct
from writersroom.evals.settings import data_folder
from writersroom.room.context import Room
from writersroom.screenplay import fountain
from writersroom.screenplay.fountain import Action, Dialogue, SceneText, Screenplay

FILE = "dramabench/dramabench_continuation_100.jsonl"
SEED = 14
PHRASINGS = {
    "first": planting_phrases,
    "second": planting_phrases_second,
    "third": planting_phrases_third,
}
ph = planting_phrases  # the phrasings in use (`evaluate` sets them)
NUMBER_WORDS = {
    20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy",
}  # fmt: skip
UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@dataclass
class Plant:
    kind: str
    scenes: set[int]  # where the planted error shows
    how: str
    cast: list[CanonCharacter] = field(default_factory=list)
    also: set[tuple[str, int]] = field(default_factory=set)  # its consequences, not alarms


def load(data: Path) -> list[tuple[str, Screenplay]]:
    """(id, screenplay) of each DramaBench script: its context and continuation together."""
    path = data / FILE
    if not path.is_file():
        raise InputError(f"DramaBench scripts not found: {path}")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(r["id"], fountain.parse(r["context"] + "\n" + r["continuation"])) for r in rows]


def in_words(age: int) -> str:
    tens, unit = divmod(age, 10)
    return NUMBER_WORDS[tens * 10] + (f"-{UNITS[unit]}" if unit else "")


def gender(play: Screenplay, name: str) -> str:
    """He or she, by the pronouns within a few words after the name (the planter's own guess)."""
    text = " ".join(e.text for s in play.scenes for e in s.elements if isinstance(e, Action))
    he = she = 0
    for m in re.finditer(re.escape(name), text, re.I):
        window = text[m.end() : m.end() + 60]
        he += len(re.findall(r"\b(he|his|him)\b", window, re.I))
        she += len(re.findall(r"\b(she|her)\b", window, re.I))
    return "he" if he > she else "she"


def fill(template: str, name: str, pronoun: str, **extra: str) -> str:
    forms = {"he": ("he", "him", "his"), "she": ("she", "her", "her")}[pronoun]
    return template.format(
        n=name, p=forms[0], P=forms[0].title(), o=forms[1], s=forms[2], **extra
    ).replace(". " + forms[0], ". " + forms[0].title())


PAST = re.compile(r"FLASH|DREAM|MEMORY|VISION|PAST|AGO|EARLIER|IMAGIN|FANTASY", re.I)


def speakers(scene: SceneText) -> set[str]:
    """Who speaks in the scene, in the story's present (a flashback's speakers are not)."""
    if PAST.search(scene.heading):
        return set()
    return {d.speaker for d in scene.dialogue() if not d.extension}


def named(scene: SceneText, cue: str) -> bool:
    """Whether the scene's action, in the present, names the character (not as an owner)."""
    if PAST.search(scene.heading):
        return False
    action = " ".join(e.text for e in scene.elements if isinstance(e, Action))
    return bool(re.search(rf"\b{re.escape(cue)}\b(?!['\u2019]s)", action, re.I))


def display(cue: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in cue.split())


def plant(play: Screenplay, kind: str, rng: random.Random) -> Plant | None:
    """Plant one error of `kind` into `play` (in place); None where the script has no room."""
    if kind not in PLANTERS:
        raise ValueError(f"no planter for {kind}")
    counts = Counter(d.speaker for s in play.scenes for d in s.dialogue() if not d.extension)
    regulars = [c for c, n in counts.most_common() if n >= 3 and len(c) >= 4]
    return PLANTERS[kind](play, regulars, rng)


def _dead_character(play: Screenplay, regulars: list[str], rng: random.Random) -> Plant | None:
    scenes = play.scenes
    options = [
        (i, c)
        for c in regulars
        for i, s in enumerate(scenes[:-1])
        if c in speakers(s) and any(c in speakers(t) for t in scenes[i + 1 :])
    ]
    if not options:
        return None
    i, cue = rng.choice(options)
    pool = rng.choice([ph.DEATHS_SAID, ph.DEATHS_PRONOUN, ph.DEATHS_SHOWN])
    text = fill(rng.choice(pool), display(cue), gender(play, cue))
    scenes[i].elements.append(Action(text))
    later = {t.number for t in scenes[i + 1 :] if cue in speakers(t) or named(t, cue)}
    return Plant("dead_character", later, text)


def _name_drift(play: Screenplay, regulars: list[str], rng: random.Random) -> Plant | None:
    options = [(s, d) for s in play.scenes for d in s.dialogue() if d.speaker in regulars]
    if not options:
        return None
    scene, line = rng.choice(options)
    line.speaker = retype(line.speaker, rng)
    return Plant("name_drift", {scene.number}, line.speaker)


def _prop(play: Screenplay, regulars: list[str], rng: random.Random) -> Plant | None:
    scenes = play.scenes
    options = [
        (i, j, c)
        for c in regulars
        for i, s in enumerate(scenes)
        for j in range(i + 1, len(scenes))
        if c in speakers(s) and c in speakers(scenes[j])
    ]
    if not options:
        return None
    i, j, cue = rng.choice(options)
    name, pronoun, prop = display(cue), gender(play, cue), rng.choice(ph.PROPS)
    lost = fill(rng.choice(ph.PROP_LOST), name, pronoun, x=prop)
    used = fill(rng.choice(ph.PROP_USED), name, pronoun, x=prop)
    scenes[i].elements.append(Action(lost))
    scenes[j].elements.insert(0, Action(used))
    return Plant("prop", {scenes[j].number}, f"{lost} / {used}")


def _age(play: Screenplay, regulars: list[str], rng: random.Random) -> Plant | None:
    options = [(s, c) for c in regulars for s in play.scenes if c in speakers(s)]
    if not options:
        return None
    scene, cue = rng.choice(options)
    age = rng.randint(20, 45)
    said = age + rng.choice([-1, 1]) * rng.randint(6, 12)
    said = said if said >= 20 else age + rng.randint(6, 12)
    words = in_words(said) if rng.random() < 0.6 else str(said)
    name, pronoun = display(cue), gender(play, cue)
    if rng.random() < 0.5:
        how = fill(rng.choice(ph.AGES_ACTION), name, pronoun, a=words)
        scene.elements.insert(0, Action(how))
    else:
        line = next(d for d in scene.dialogue() if d.speaker == cue)
        line.text = fill(rng.choice(ph.AGES_SPOKEN), name, pronoun, a=words) + " " + line.text
        how = line.text
    return Plant("age", {scene.number}, how, [CanonCharacter(name, age)])


def _timeline(play: Screenplay, regulars: list[str], rng: random.Random) -> Plant | None:
    scenes = play.scenes
    options = [
        j
        for j in range(1, len(scenes))
        if re.search(r"\b(DAY|MORNING|AFTERNOON)\b", scenes[j - 1].heading)
        and not re.search(r"\bCONTINUOUS\b", scenes[j].heading, re.I)
    ]
    if not options:
        return None
    j = rng.choice(options)
    place = re.split(r"\s+[-–—]\s+", scenes[j].heading)[0]
    scenes[j].heading = f"{place} - NIGHT (CONTINUOUS)"
    # a place left and entered in continuous time may now be two places at once
    return Plant(
        "timeline", {scenes[j].number}, scenes[j].heading, also={("location", scenes[j].number)}
    )


PLANTERS: dict[str, Callable[[Screenplay, list[str], random.Random], Plant | None]] = {
    "dead_character": _dead_character,
    "name_drift": _name_drift,
    "prop": _prop,
    "age": _age,
    "timeline": _timeline,
}
TYPES = tuple(PLANTERS)


def retype(cue: str, rng: random.Random) -> str:
    """The cue with one letter of its longest word changed, doubled or dropped."""
    words = cue.split()
    k = max(range(len(words)), key=lambda w: len(words[w]))
    word = words[k]
    at = rng.randrange(1, len(word))
    vowels = "AEIOU"
    how = rng.choice(["swap", "double", "drop"])
    if how == "double" or (how == "drop" and len(word) < 5):
        word = word[:at] + word[at] + word[at:]
    elif how == "drop":
        word = word[:at] + word[at + 1 :]
    else:
        now = word[at]
        other = [v for v in vowels if v != now] if now in vowels else ["E", "A", "I"]
        word = word[:at] + rng.choice(other) + word[at + 1 :]
    words[k] = word
    return " ".join(words)


# per layer (rules, agent, merged): the (type, scene) of each error, None where the model failed
Found = dict[str, set[tuple[str, int]] | None]


def found(play: Screenplay, cast: list[CanonCharacter], room: Room | None = None) -> Found:
    """The errors each layer raises: the rules, and with a room the agent and both merged as
    the room merges them (the agent's errors weighed against the rules)."""
    canon = Canon(cast, [], 1, source="the planted cast")
    ruled = Rules(play, canon)
    rules: set[tuple[str, int]] = {(i.kind, i.scene) for i in ruled.run() if i.severity == "error"}
    if room is None:
        return {"rules": rules}
    bible = checker.cast_as_bible(play, canon)
    try:
        issues = continuity.check_continuity(room, bible, play, [])
    except ModelError as exc:  # counted as failed: one bad answer does not end the eval
        Console(stderr=True).print(f"  the agent failed: {escape(str(exc))}", highlight=False)
        return {"rules": rules, "agent": None, "merged": None}
    agent: set[tuple[str, int]] = {(i.kind, i.scene) for i in issues if i.severity == "error"}
    weighed = {(i.kind, i.scene) for i in checker.weigh(issues, ruled) if i.severity == "error"}
    return {"rules": rules, "agent": agent, "merged": rules | weighed}


def cast_of(play: Screenplay, extra: list[CanonCharacter]) -> list[CanonCharacter]:
    """No cast list (DramaBench has none) unless an age is planted: then the speakers, with it."""
    if not extra:
        return []
    names = {c.name.casefold() for c in extra}
    cues = dict.fromkeys(display(d.speaker) for s in play.scenes for d in s.dialogue())
    return extra + [CanonCharacter(c) for c in cues if c.casefold() not in names]


@dataclass
class Tally:
    """One layer's counts: plants found, true and false alarms, per type."""

    planted: Counter[str] = field(default_factory=Counter)
    recalled: Counter[str] = field(default_factory=Counter)
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    alarms: Counter[str] = field(default_factory=Counter)  # errors on the originals
    flagged: int = 0  # originals with an error
    failed: int = 0  # scripts and copies the layer could not read (the model failed)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def original(self, errors: set[tuple[str, int]] | None) -> None:
        if errors is None:
            self.failed += 1
            return
        self.alarms.update(k for k, _ in errors)
        self.flagged += bool(errors)

    def copy(
        self,
        ident: str,
        p: Plant,
        before: set[tuple[str, int]] | None,
        after: set[tuple[str, int]] | None,
    ) -> None:
        if before is None or after is None:
            self.failed += 1
            return
        new = after - before
        self.planted[p.kind] += 1
        hits = {(k, s) for k, s in new if k == p.kind and s in p.scenes}
        self.tp[p.kind] += len(hits)
        for k, _ in new - hits - p.also:
            self.fp[k] += 1
        if hits:
            self.recalled[p.kind] += 1
        else:
            self.misses.append({"script": ident, "type": p.kind, "planted": p.how})

    def per_type(self) -> dict[str, dict[str, Any]]:
        tp, fp, planted, recalled = self.tp, self.fp, self.planted, self.recalled
        return {
            k: {
                "planted": planted[k],
                "found": recalled[k],
                "recall": round(recalled[k] / planted[k], 3) if planted[k] else None,
                "true_alarms": tp[k],
                "false_alarms": fp[k],
                "precision": round(tp[k] / (tp[k] + fp[k]), 3) if tp[k] + fp[k] else None,
            }
            for k in dict.fromkeys([*TYPES, *fp])
        }


def evaluate(
    data: Path,
    seed: int = SEED,
    phrasings: str = "first",
    room: Room | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Precision and recall per type on the planted copies, errors on the originals: for the
    rules, and with a room (the continuity agent's model) for the agent and both merged.
    `limit` takes the first scripts only (the agent reads each script six or seven times)."""
    global ph
    if phrasings not in PHRASINGS:
        raise InputError(f"unknown phrasings {phrasings!r}: choose {' or '.join(PHRASINGS)}")
    ph = PHRASINGS[phrasings]
    rng = random.Random(seed)
    scripts = load(data)[:limit]
    tallies: dict[str, Tally] = {}
    for ident, original in scripts:
        base = found(original, [], room)
        for layer, errors in base.items():
            tallies.setdefault(layer, Tally()).original(errors)
        for kind in TYPES:
            copy = load_copy(original)
            p = plant(copy, kind, rng)
            if p is None:
                continue
            before = found(original, cast_of(original, p.cast), room) if p.cast else base
            after = found(copy, cast_of(copy, p.cast), room)
            for layer, tally in tallies.items():
                tally.copy(ident, p, before[layer], after[layer])
    report: dict[str, Any] = {"scripts": len(scripts), "seed": seed, "phrasings": phrasings}
    for layer, tally in tallies.items():
        report[layer] = {
            "per_type": tally.per_type(),
            "originals_flagged": tally.flagged,
            "failed": tally.failed,
            "errors_on_originals": dict(tally.alarms),
            "misses": tally.misses,
        }
    return report


def load_copy(play: Screenplay) -> Screenplay:
    """A deep copy of a screenplay (its scenes and elements are mutable dataclasses)."""
    scenes = [
        SceneText(
            s.number,
            s.heading,
            [
                Action(e.text, e.at)
                if isinstance(e, Action)
                else Dialogue(e.speaker, e.text, e.parenthetical, e.extension, e.line, e.at)
                for e in s.elements
            ],
            s.at,
        )
        for s in play.scenes
    ]
    return Screenplay(play.title, scenes, dict(play.title_page))


def planted(
    data: Annotated[
        Path | None, typer.Option("--data", help="The evaldata folder (has dramabench/).")
    ] = None,
    seed: Annotated[int, typer.Option(help="The planting seed.")] = SEED,
    phrasings: Annotated[
        str, typer.Option(help="first, second (both studied while the rules were written), third.")
    ] = "first",
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Measure the continuity agent on this model too (PROVIDER:MODEL), and the "
            "layers merged.",
        ),
    ] = None,
    scripts: Annotated[
        int | None, typer.Option(min=1, help="Only the first N scripts (default: all 100).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Continuity rules (and with --model the agent) on errors planted into DramaBench scripts:
    precision and recall per type, and the errors raised on the untouched originals."""
    try:
        room = checker.reading_room(model, Path.cwd()) if model else None
        report = evaluate(data_folder(data), seed, phrasings, room, scripts)
    except WritersroomError as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    console = Console()
    for layer in ("rules", "agent", "merged"):
        if layer not in report:
            continue
        name = {"rules": "rules", "agent": f"agent on {model}", "merged": "rules and agent"}
        table = Table(
            title=f"Continuity {name[layer]}: errors planted into {report['scripts']} scripts"
        )
        for column in ("Type", "Planted", "Found", "Recall", "True alarms", "False", "Precision"):
            table.add_column(column, justify="left" if column == "Type" else "right")
        for kind, row in report[layer]["per_type"].items():
            table.add_row(
                kind,
                str(row["planted"]),
                str(row["found"]),
                pct(row["recall"]),
                str(row["true_alarms"]),
                str(row["false_alarms"]),
                pct(row["precision"]),
            )
        console.print(table)
        alarms = report[layer]["errors_on_originals"]
        errors = ", ".join(f"{k} {n}" for k, n in alarms.items()) or "none"
        console.print(
            f"Originals with an error: {report[layer]['originals_flagged']} of "
            f"{report['scripts']} ({errors}); seed {report['seed']}, "
            f"{report['phrasings']} phrasings"
            + (
                f"; {report[layer]['failed']} not read (the model failed)"
                if report[layer]["failed"]
                else ""
            ),
            highlight=False,
        )
