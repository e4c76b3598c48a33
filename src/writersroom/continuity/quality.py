"""Deterministic checks that keep garbage out of the room, before any model judges a draft.

A script must not repeat itself (a scene, an action paragraph or a line said again), needs at
least two speakers, lets no one talk on for more than `MAX_RUN` lines while others are in the
scene, and holds no decoding junk (letters spelled out one by one, a model's control tokens); a
bible must keep the people and relations its premise names, and its season
arc must not be one logline copied with other names. Each problem is a sentence an agent can act
on; the room sends them back as notes, and `eval score` reports them.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from writersroom.schemas import (
    Beat,
    ContinuityIssue,
    EpisodeOutline,
    Scene,
    Script,
    SeriesBible,
)

WORD = re.compile(r"[^\W_]+", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff]")
NEAR_COPY = 0.8  # word-bigram overlap above which two texts are the same text reworded
ECHO_GRAM = 4  # an echo shares runs of this many words with the instructions:
ECHO_GRAMS = 3  # this many runs, or half of its own (one common phrase is no echo)
META = frozenset(
    {"scene", "scenes", "episode", "draft", "screenwriter", "screenplay", "dialogue",
     "cliffhanger", "continuity", "logline"}
)  # fmt: skip
TALK_ABOUT_THE_SCRIPT = frozenset(
    {"screenwriter", "screenplay", "dialogue", "cliffhanger", "continuity", "logline"}
)
MAX_RUN = 3  # lines one speaker may say in a row
# decoding junk in a script's text: four or more letters spelled out ("L. E. V. E. O."), or a
# chat model's control tokens ("EOT", "<|im_end|>", "</s>", "[/INST]")
JUNK = re.compile(
    r"(?<![^\W\d_])(?:[^\W\d_]\.?\s+){3,}[^\W\d_]\.?(?![^\W\d_])"
    r"|\bEOT\b|<\|[^|>]{1,30}\|>|</?s>|\[/?INST\]"
)
SENTENCE = re.compile(r"(?<=[.!?。！？])(?<!INT\.)(?<!EXT\.)\s*")  # a heading's INT. ends none
LABEL = re.compile(r"\W*(\w+)\s*(?::|\d)")  # a field's name and a colon, or a number
TITLES = {"the", "a", "an", "mr", "mrs", "ms", "miss", "dr", "young", "old", "little"}


def words(text: str) -> list[str]:
    """Words for comparison: lower case; Chinese text as single characters."""
    out = []
    for token in WORD.findall(text.casefold()):
        out += list(token) if CJK.search(token) else [token]
    return out


def bigrams(text: str) -> set[tuple[str, str]]:
    tokens = words(text)
    return set(itertools.pairwise(tokens)) or {(t, "") for t in tokens}


def _numberless(text: str) -> list[str]:
    """`words`, any number read as "#": an echo of "Now write scene 2 of 3" may be "Now write
    scene 3 of 3", the next scene's instructions made up."""
    return ["#" if token.isdigit() else token for token in words(text)]


def grams(text: str, n: int = ECHO_GRAM) -> set[tuple[str, ...]]:
    """Runs of `n` words (`_numberless`)."""
    tokens = _numberless(text)
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def echoes(text: str, instructions: set[tuple[str, ...]]) -> bool:
    """Whether `text` repeats the instructions (`grams` of them: many of its own, or its
    opening) or talks about the script ("scene 2 will include further dialogue") instead of
    telling the story."""
    tokens = words(text)
    own = grams(text)
    shared = len(own & instructions)
    meta = set(tokens) & META
    return (
        shared >= ECHO_GRAMS
        or (bool(own) and 2 * shared >= len(own))
        or tuple(_numberless(text)[:ECHO_GRAM]) in instructions  # it opens with their words
        or (len(meta) >= 2 and bool(meta & TALK_ABOUT_THE_SCRIPT))
    )


def labelled(sentence: str, labels: set[str]) -> bool:
    """Whether `sentence` opens as a field of the prompt does ("Cliffhanger: ...", "- Scene 2,
    set at ...") rather than as a story."""
    opening = LABEL.match(sentence)
    return opening is not None and opening.group(1).casefold() in labels


def without_echoes(scene: Scene, instructions: str, otherwise: str = "") -> Scene:
    """The scene without the sentences of action and the lines that echo its instructions, or
    open with one of their labels. An action that is all echo becomes `otherwise` (what the
    outline says happens in the scene): its dialogue is kept rather than asked for again.

    Raises:
        ValueError: nothing of the action is left, and nothing stands in for it.
    """
    known = grams(instructions)
    labels = {w.casefold() for w in re.findall(r"(\w+):", instructions)} | {"scene", "episode"}
    kept = [
        s
        for s in SENTENCE.split(scene.action)
        if s.strip() and not echoes(s, known) and not labelled(s, labels)
    ]
    if not kept and otherwise.strip():
        kept = [otherwise.strip()]
    if not kept:
        raise ValueError(
            f"scene {scene.number}'s action repeats the instructions: say what we see, in the "
            "story's own words"
        )
    lines = [line for line in scene.lines if not echoes(line.text, known)]
    return scene.model_copy(update={"action": " ".join(kept), "lines": lines})


def overlap(a: str, b: str) -> float:
    """How much of the shorter text's word bigrams the other has (0 to 1)."""
    first, second = bigrams(a), bigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def _same(a: str, b: str) -> bool:
    return " ".join(words(a)) == " ".join(words(b)) or overlap(a, b) >= NEAR_COPY


@dataclass(frozen=True)
class Problem:
    """A fault of a script, where it is and what to do about it; `kind` is one of "repeat",
    "speakers", "monologue" and "junk" (what `eval score` counts)."""

    scene: int
    line: int | None
    text: str
    kind: str = "repeat"

    def __str__(self) -> str:
        return self.text

    def as_issue(self) -> ContinuityIssue:
        """The problem as a rules' error of the continuity report: it blocks approval."""
        return ContinuityIssue(
            kind="other",
            severity="error",
            scene=self.scene,
            line=self.line,
            description=self.text[:600],
            found_by="rules",
        )


def scene_problems(scene: Scene, earlier: list[Scene]) -> list[Problem]:
    """What `scene` repeats of itself or of the scenes before it."""
    problems = [
        Problem(
            scene.number,
            None,
            f"scene {scene.number}'s action repeats scene {before.number}'s; show something "
            "new happening",
        )
        for before in earlier
        if _same(scene.action, before.action)
    ]
    said = {" ".join(words(line.text)): s.number for s in earlier for line in s.lines}
    seen: set[str] = set()
    for index, line in enumerate(scene.lines, 1):
        key = " ".join(words(line.text))
        if key in seen:
            problems.append(
                Problem(scene.number, index, f"line {index} of scene {scene.number} is said twice")
            )
        elif key in said:
            problems.append(
                Problem(
                    scene.number,
                    index,
                    f'line {index} of scene {scene.number} ("{line.text[:60]}") repeats a line '
                    f"of scene {said[key]}; every line must be new",
                )
            )
        seen.add(key)
    return problems


def monologues(scene: Scene) -> list[Problem]:
    """Runs of more than `MAX_RUN` lines by one speaker, in a scene where others speak too."""
    if len({line.speaker for line in scene.lines}) < 2:
        return []
    problems, start = [], 0
    for index, line in enumerate([*scene.lines, None]):
        if line is not None and line.speaker == scene.lines[start].speaker:
            continue
        if index - start > MAX_RUN:
            who = scene.lines[start].speaker
            problems.append(
                Problem(
                    scene.number,
                    start + 1,
                    f"in scene {scene.number}, {who} says lines {start + 1}-{index} in a row; "
                    f"let the others answer, at most {MAX_RUN} lines at a time",
                    "monologue",
                )
            )
        start = index
    return problems


def junk(scene: Scene) -> list[Problem]:
    """Decoding junk in the scene's action or lines."""
    texts = [(None, scene.action)] + [(i, line.text) for i, line in enumerate(scene.lines, 1)]
    problems = []
    for index, text in texts:
        found = JUNK.search(text)
        if found:
            where = "action" if index is None else f"line {index}"
            problems.append(
                Problem(
                    scene.number,
                    index,
                    f"scene {scene.number}'s {where} holds junk ({found.group().strip()!r}); "
                    "write only the story",
                    "junk",
                )
            )
    return problems


def script_problems(script: Script) -> list[Problem]:
    """Repeated scenes, actions and lines, monologues, junk, and fewer than two speakers."""
    problems = []
    for index, scene in enumerate(script.scenes):
        problems += scene_problems(scene, script.scenes[:index]) + monologues(scene) + junk(scene)
    speakers = script.speakers()
    if len(speakers) < 2:
        who = next(iter(speakers), "nobody")
        problems.append(
            Problem(
                script.scenes[0].number,
                None,
                f"only {who} speaks in the episode; at least two characters must talk to each "
                "other",
                "speakers",
            )
        )
    return problems


@cache
def roles() -> dict[str, str]:
    """Role and relation words (a nurse, a father, 护士, 父亲) -> the family they belong to."""
    text = files("writersroom").joinpath("roles.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    return {word.casefold(): family for family, listed in table.items() for word in listed}


def role_of(word: str) -> str | None:
    """The role family of a (casefolded) word, its plural or possessive too: nurses, wives'."""
    forms = [word, word.removesuffix("'s"), word.removesuffix("s"), word.removesuffix("es")]
    forms.append(word.removesuffix("ves") + "fe")  # wives
    return next((roles()[f] for f in forms if f in roles()), None)


def premise_roles(text: str) -> set[str]:
    """The role families that `text` names, e.g. {"nurse", "father", "billionaire"}."""
    found = set()
    lowered = text.casefold()
    for token in WORD.findall(lowered):
        family = role_of(token)
        if family:
            found.add(family)
    for word, family in roles().items():  # Chinese has no spaces: look for the word itself
        if CJK.search(word) and word in lowered:
            found.add(family)
    return found


def lost_roles(bible: SeriesBible, premise: str) -> list[str]:
    """The premise's roles that no character, nor the logline or world, of the bible keeps."""
    described = " ".join(
        [bible.logline, bible.world]
        + [f"{c.role} {c.arc} {c.look} {' '.join(c.secrets)}" for c in bible.characters]
    )
    return sorted(premise_roles(premise) - premise_roles(described))


def lost_problem(lost: list[str]) -> str:
    return (
        f"the premise's {', '.join(lost)} must be in the bible (a character's role or arc), "
        "as the premise has them"
    )


def role_names(bible: SeriesBible) -> list[str]:
    """Characters named by what they are ("Nurse", "The Patient", "护士"), not who they are."""
    named = []
    for character in bible.characters:
        tokens = [t for t in WORD.findall(character.name.casefold()) if t not in TITLES]
        if tokens and all(role_of(t) for t in tokens):
            named.append(character.name)
    return named


def first_draft_faults(bible: SeriesBible, premise: str) -> tuple[int, str]:
    """How many faults a first bible draft is revised for (each premise role lost, each
    character named by a role), and the notes that say so."""
    lost, named = lost_roles(bible, premise), role_names(bible)
    notes = [lost_problem(lost)] if lost else []
    if named:
        notes.append(
            f"{', '.join(named)} {'is a role' if len(named) == 1 else 'are roles'}, not "
            "names: give every character a personal name (given and family name) and put "
            "what they are in their role"
        )
    return len(lost) + len(named), "\n".join(notes)


def copied_loglines(bible: SeriesBible) -> list[tuple[int, int]]:
    """(later, earlier) episode numbers of season loglines that copy an earlier one, names
    aside."""
    names = [part for c in bible.characters for part in words(c.name)]
    copies = []
    for index, later in enumerate(bible.season_arc):
        for earlier in bible.season_arc[:index]:
            if _same(_unnamed(earlier.logline, names), _unnamed(later.logline, names)):
                copies.append((later.number, earlier.number))
                break
    return copies


def distinct_beats(outline: EpisodeOutline) -> list[Beat]:
    """The outline's beats less those that say an earlier beat again (near copies too)."""
    kept: list[Beat] = []
    for beat in outline.beats:
        if not any(_same(beat.description, k.description) for k in kept):
            kept.append(beat)
    return kept


def bible_problems(bible: SeriesBible, premise: str) -> list[str]:
    """The premise's roles lost by the bible or its logline, and loglines copied."""
    problems = []
    wanted = premise_roles(premise)
    lost = lost_roles(bible, premise)
    if lost:
        problems.append(lost_problem(lost))
    missing = sorted(wanted - premise_roles(bible.logline))
    if wanted and len(missing) > len(wanted) // 2:
        problems.append(
            f"the logline drops the premise's {', '.join(missing)}: keep the premise's people "
            "and what is between them"
        )
    problems += [
        f"the logline of episode {later} copies episode {earlier}'s; each episode needs its own "
        "event"
        for later, earlier in copied_loglines(bible)
    ]
    return problems


def _unnamed(text: str, names: list[str]) -> str:
    return " ".join(w for w in words(text) if w not in names)
