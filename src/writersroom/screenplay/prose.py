"""Screenplay text as a small model writes it, read into the room's `Scene`.

Lenient in what it reads: a chatty preamble, markdown, Fountain cues (`NAME` on its own line,
then the speech, or `NAME:` above it), `NAME: words`, `NAME (beat): words`, `NAME: (beat)
words`, `Name (beat) Words` without a colon, dialogue written as prose (`Lily shrugs, "Not
yet."`), a role after the name (`NAME, ROLE:`), full-width colons, Chinese scene headings, and a
scene without a heading that goes on where the one before it was. Strict in what it keeps: only
the cast speaks (a first or last name is read as its character; a stranger's speech is neither a
line nor action), a line said twice is kept once, and a scene needs a heading (or a scene before
it), an action and at least one line. Problems are ValueErrors worded for the model that wrote
the scene.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from writersroom.continuity import quality
from writersroom.room.answers import clip
from writersroom.schemas import Beat, EpisodeOutline, Line, Scene

HEADING = re.compile(
    r"^(?:INT\./EXT\.?|INT/EXT|I/E|INT\.?|EXT\.?|EST\.?|内景|外景|内/外景)[\s.:：]", re.IGNORECASE
)
SPEECH = re.compile(
    r"^(?P<name>[^\W\d_][\w .'·-]{0,40}?)\s*(?:\((?P<before>[^()]{0,80})\))?\s*[:：]\s*"
    r"(?:\((?P<after>[^()]{0,80})\))?\s*(?P<text>.+)$"
)
CUE = re.compile(  # a speaker's name alone on its line, the speech on the lines below it
    r"^(?P<name>[^\W\d_][\w .'·-]{0,40}?)\s*(?:\((?P<ext>[^()]{0,80})\))?"
    r"\s*(?P<colon>[:：]\s*(?:\((?P<after>[^()]{0,80})\))?)?$"
)
HEADING_ENDS = re.compile(  # the time of day, then a description the heading has run on into
    r"^(?P<heading>.+?(?:\b(?:DAY|NIGHT|MORNING|EVENING|AFTERNOON|DAWN|DUSK|SUNSET|SUNRISE|NOON|"
    r"MIDNIGHT|LATER|CONTINUOUS)\b"
    r"|白天|夜晚|晚上|早上|上午|中午|下午|清晨|凌晨|傍晚|黄昏|深夜|[日夜晨晚]))"
    r"\s*[,.;，。；]\s*(?P<rest>\S.*)$",
    re.IGNORECASE,
)
TRANSITION = re.compile(r"^[A-Z .]+(?:TO|OUT|IN)[:.]?$")  # CUT TO:, FADE OUT.
SAID = re.compile(  # what follows a speaker's name in prose dialogue
    r"^(?:\s*[\u4e00-\u9fff]{0,12}[说道问答喊叫]|\s+(?:\w+ly\s+)?(?:says|said|asks|asked|"
    r"replies|replied|answers|answered|shouts|shouted|whispers|whispered|yells|yelled|"
    r"continues|adds))$"
)
TURN = re.compile(r"(?<=[.!?。！？…\"”])\s*(?P<name>[^\W\d_][\w .'·-]{0,40}?)\s*[:：]\s*")
PAREN = re.compile(r"^\(([^()]{1,80})\)$")
BEAT_SPEECH = re.compile(  # "John (smiling) Oh, yeah?": name, beat and speech, with no colon
    r"^(?P<name>[^\W\d_][\w .'·-]{0,40}?)\s*[(（](?P<beat>[^()（）\d]{1,80})[)）]\s*"
    r"(?P<text>[\"“]?[^\W\d_a-z].*)$"
)
ROLE = re.compile(  # a cue with the character's role after the name: "EMILY BROWN, SECRET AGENT:"
    r"^(?P<name>[^\W\d_][\w .'·-]{0,40}?)\s*[,，]\s*[^\W\d_][\w .'-]{0,30}?\s*"
    r"(?P<rest>(?:\([^()]{0,80}\))?\s*[:：].*)$"
)
QUOTED = re.compile(r'["“]([^"“”]{1,600})["”]')  # what is said, in prose dialogue
SOUND = re.compile(r"^[A-Z'-]+(?: [A-Z'-]+)+$")  # "WAKEUP SOUNDS" as a line: a sound, not speech
NARRATED = re.compile(r'(?<=[,.!?…，。！？])["”]\s*\S.*$')  # narration after a speech's quote
INLINE_PAREN = re.compile(r"[(（][^()（）]{0,80}[)）]")
SENTENCES = re.compile(r"[^.!?。！？]+(?:[.!?。！？]+|$)\s*")
MARKUP = re.compile(r"[*_#>`]+")
LIST_MARK = re.compile(r"^(?:[-–—•·]+|\d{1,2}[.)](?=\s))\s*")  # "- LILY: ...", "2. LILY: ..."
SPACE = re.compile(r"\s+")
MAX_ACTION = 600
RUN_ON = re.compile(r"^(?:where|with|in which|set (?:at|in))\s+(?=\S)")  # from a heading
STOPS = (".", "!", "?", "…", "。", "！", "？")  # what ends a sentence
MAX_LINE = 600
SCENES_MIN, SCENES_MAX = 2, 4


def _clean(line: str) -> str:
    """A line as written, without markup, a list's dash or number, and decoding junk
    (`quality.JUNK`)."""
    return LIST_MARK.sub("", SPACE.sub(" ", MARKUP.sub("", quality.JUNK.sub("", line))).strip())


def _plain(line: str) -> str:
    """A line as written, without markup, decoding junk and the quotes around it."""
    return _clean(line).strip('"“”')


@dataclass
class CastNames:
    """Resolves the names a model writes to the bible's characters."""

    names: list[str]

    def resolve(self, written: str) -> str | None:
        key = _plain(written).casefold()
        if not key:
            return None
        for name in self.names:
            if name.casefold() == key:
                return name
        partial = [
            name
            for name in self.names
            if key in name.casefold().split() or (len(key) >= 2 and name.startswith(written))
        ]
        if len(partial) == 1:
            return partial[0]
        # a name with how it is said: "张明回答道", "李华惊讶地问", "Lily says", "Mr. Lin asks"
        said = {
            name
            for name in self.names
            for form in {name.casefold(), *name.casefold().split()}
            if key.startswith(form) and SAID.match(key[len(form) :])
        }
        return said.pop() if len(said) == 1 else None


def read_scene(text: str, number: int, cast: list[str], place: str = "", beats: str = "") -> Scene:
    """The first scene in `text`, numbered `number`. Where they are given, an answer without a
    heading goes on at `place` (the heading of the scene before it), and one without action
    has `beats` (what the outline says happens in it) for its action.

    Raises:
        ValueError: no heading (and no place), no action (and no beats), or nobody of the cast
            speaks.
    """
    names = CastNames(cast)
    written = [_clean(row) for row in text.splitlines()]
    rows = [row.strip('"“”') for row in written]
    start = next((i for i, row in enumerate(rows) if HEADING.match(row)), None)
    action: list[str] = []
    if start is not None:
        heading, spilled = _heading(rows[start])
        action += [spilled] if spilled else []
    elif place:
        start, heading = -1, place
    else:
        raise ValueError("the scene has no heading: begin with INT. or EXT. PLACE - DAY/NIGHT")
    lines: list[Line] = []
    strangers: list[str] = []
    cue: str | None = None
    pending = ""
    for row, quoted in zip(rows[start + 1 :], written[start + 1 :], strict=True):
        row = _without_role(row, names)
        if HEADING.match(row):
            break  # the next scene: one scene per answer
        if not row:
            cue = None
            continue
        bare = CUE.match(row)
        if (
            bare
            and (bare.group("name").isupper() or bare.group("colon"))
            and not TRANSITION.match(row)
        ):
            # `SARAH`, `SARAH (V.O.)`, `Sarah:` or `SARAH: (softly)`, the speech below it; a
            # stranger's cue (with a colon, or in capitals outside a speech) hides what follows
            name = bare.group("name")
            known = names.resolve(name)
            if known is None and _is_name(name) and (bare.group("colon") or cue is None):
                strangers.append(name)
                known = ""
            if known is not None:
                cue, pending = known, bare.group("ext") or bare.group("after") or ""
                continue
        speech = SPEECH.match(row)
        if speech and not _is_sentence(speech.group("name")):
            speaker = names.resolve(speech.group("name"))
            if speaker is not None:
                aside = speech.group("before") or speech.group("after") or ""
                for turn, (who, said) in enumerate(_turns(speaker, speech.group("text"), names)):
                    _add(lines, who, said, "" if turn else aside)
                cue = None
                continue
            if cue is None:
                strangers.append(speech.group("name"))
                continue
        beat = BEAT_SPEECH.match(row)
        speaker = names.resolve(beat.group("name")) if beat else None
        if beat and speaker:  # not "Lily (45) enters", nor "Lily (quietly) walks in"
            _add(lines, speaker, beat.group("text"), beat.group("beat"))
            cue = None
            continue
        if cue is not None:  # a speech under its cue ("Wait: what?" too)
            paren = PAREN.match(row)
            if paren:
                pending = paren.group(1)
            elif cue:
                _add(lines, cue, row, pending)
                pending = ""
            continue
        told = _told(quoted, names)
        if told:
            _add(lines, *told, "")
        elif not PAREN.match(row):
            action.append(row)
    if not lines:
        who = f" ({', '.join(sorted(set(strangers)))} are not in the cast)" if strangers else ""
        raise ValueError(
            f"nobody of the cast speaks in scene {number}{who}: write dialogue as NAME: words, "
            f"with these names: {', '.join(cast)}"
        )
    if not action and beats.strip():
        action = [beats.strip()]
    if not action:
        raise ValueError(f"scene {number} has no action: after the heading, say what we see")
    return Scene(
        number=number,
        heading=clip(heading, MAX_ACTION),
        action=clip(_begun(once(" ".join(action))), MAX_ACTION),
        lines=lines[:10],
    )


def _begun(action: str) -> str:
    """An action that goes on from its heading ("where Eva and John meet. ...", "with Olivia and
    Isabella", "set at the same bar ...") begun as a sentence: the joining words left out, the
    first letter a capital."""
    if not action[:1].islower():
        return action
    rest = RUN_ON.sub("", action, count=1)
    return rest[:1].upper() + rest[1:]


def once(text: str) -> str:
    """`text` with each sentence said again, word for word, left out (a small model looping:
    "She knows she must act. She knows she must act.")."""
    seen: set[str] = set()
    kept = []
    for sentence in SENTENCES.findall(text):
        said = " ".join(quality.words(sentence))
        if said and said in seen:
            continue
        seen.add(said)
        kept.append(sentence)
    return "".join(kept).strip()


def _without_role(row: str, names: CastNames) -> str:
    """A cue with a cast member's role after the name ("EMILY BROWN, SECRET AGENT: Hi") as
    the name's cue; any other row as it is ("Later, that night: ..." is action)."""
    found = ROLE.match(row)
    if found is None or names.resolve(found.group("name")) is None:
        return row
    return f"{found.group('name')}{found.group('rest')}"


def _turns(speaker: str, text: str, names: CastNames) -> list[tuple[str, str]]:
    """A speech that runs on into others' ("Who are you? TOMMY: No. LINDA: Then who?") as the
    turns it holds: split where a sentence ends and a cast member's name and a colon follow."""
    turns, start, who = [], 0, speaker
    for found in TURN.finditer(text):
        other = names.resolve(found.group("name"))
        if other is None:
            continue
        turns.append((who, text[start : found.start()]))
        start, who = found.end(), other
    turns.append((who, text[start:]))
    return [(who, said.strip()) for who, said in turns if said.strip()]


def _told(row: str, names: CastNames) -> tuple[str, str] | None:
    """Dialogue written as prose, `Lily shrugs, "Not yet."` or `"Any news?" James asks.`: the
    speaker (the cast member named at the start of the row, or just after its first quote)
    and what the quotes hold."""
    first = QUOTED.search(row)
    if first is None:
        return None
    for around in (row[: first.start()], row[first.end() :]):
        words = around.strip(" ,:;—-").split()
        for count in (2, 1):
            who = names.resolve(" ".join(words[:count]).strip(".,!?。，！？:："))
            if who and len(words) >= count:
                return who, " ".join(q.group(1).strip() for q in QUOTED.finditer(row))
    return None


def _heading(row: str) -> tuple[str, str]:
    """A heading row as the heading (in capitals where it is English) and the description it
    ran on into after its time of day, which is action: "INT. Hotel room - Day, where Eva and
    John meet. Eva sits at a table." """
    ends = HEADING_ENDS.match(row)
    heading, rest = (ends.group("heading"), ends.group("rest")) if ends else (row, "")
    return (heading.upper() if heading.isascii() else heading), rest


def _is_name(written: str) -> bool:
    """`MOTHER`, `Old Wang`, `张三` look like a speaker; `Later that night` does not."""
    words = written.split()
    return len(words) <= 3 and not any(word[:1].islower() for word in words)


def _is_sentence(name: str) -> bool:
    """`Later that night: ...` is action, not a speaker called "Later that night"."""
    return len(name.split()) > 4


def _add(lines: list[Line], speaker: str, text: str, paren: str) -> None:
    """Keep a speech once, without the stage directions written inside it (a voice would
    read them aloud); words in capitals without a stop are a sound, not a speech."""
    words = NARRATED.sub("", INLINE_PAREN.sub(" ", _plain(text)))  # 'Hi," she says, ...'
    words = clip(SPACE.sub(" ", words).strip(), MAX_LINE).rstrip(",，")
    words = words.strip("()（）[] ")  # a beat the answer broke off in: "SARAH: ("
    said = any(ch.isalnum() for ch in words) and not SOUND.match(words)
    if not said or any(line.text.casefold() == words.casefold() for line in lines):
        return
    beat = ", ".join(dict.fromkeys(filter(None, (b.strip() for b in re.split("[,，]", paren)))))
    lines.append(Line(speaker=speaker, text=words, parenthetical=beat[:80]))  # "sad, sad": once


def scene_beats(outline: EpisodeOutline) -> list[list[Beat]]:
    """The outline's beats shared out over 2 to 4 scenes, in order (about two beats a scene)."""
    count = min(SCENES_MAX, max(SCENES_MIN, (len(outline.beats) + 1) // 2))
    per, extra = divmod(len(outline.beats), count)
    scenes, start = [], 0
    for index in range(count):
        size = per + (1 if index < extra else 0)
        scenes.append(outline.beats[start : start + size])
        start += size
    return scenes


def ended(text: str) -> str:
    """`text` with a stop at its end where it has none ("。" after Chinese)."""
    text = text.strip()
    if text.endswith(STOPS):
        return text
    return text + ("。" if quality.CJK.search(text) else ".")


def beats_told(beats: list[Beat]) -> str:
    """What the beats say, each a sentence: an action made of beats without their stops ran
    on as one sentence ("...make fun of her voice Lily reveals...")."""
    return " ".join(ended(beat.description) for beat in beats)
