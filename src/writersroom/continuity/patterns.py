"""The words the continuity rules read action by: deaths, exits and moves, lost props, learning.

Each pattern is deliberately narrow: a rule that cries wolf on clean scripts is switched off by
the people it is meant to help (the labeled set in evals/continuity measures that).
"""

from __future__ import annotations

import re

# Where a named character is not physically there: pictured, phoned, remembered, mourned.
REMOTE = re.compile(
    r"\b(photo\w*|picture|portrait|painting|statue|poster|screen|phone|video|call|calls|"
    r"message|voice|memor\w+|remembers?|grave|tomb|tablet|funeral|coffin|urn|ghost|spirit|"
    r"soul|dreams?|vision|news|name|letter|recording|thinks of|thought of|mourns?|death|murder|"
    r"killer|murderer|avenge|revenge|the late|misses|grieves|weeps for|cries for|mentions|"
    r"remember\w*|story|stories|legend|memorial|ashes|shrine)\b",
    re.I,
)
CORPSE = re.compile(r"\b(body|corpse|remains|ashes|casket)\b", re.I)
# Scenes outside ordinary time, where the dead may be seen and heard (read in the action).
UNREAL = re.compile(
    r"\b(souls?|ghosts?|spirits?|afterlife|underworld|limbo|void|dreams?|dreaming|vision|"
    r"hallucinat\w*|reborn|rebirth|reincarnat\w*)\b",
    re.I,
)
REBORN = re.compile(r"\b(reborn|rebirth|reincarnat\w*|back in time|second life)\b", re.I)
# Leaving, arriving or moving: a character who does any of these may be elsewhere next.
MOVES = re.compile(
    r"\b(leaves?|exits?|walks?|storms? (?:in|out|off)|runs?|rushes|rush|hurries|hurry|"
    r"heads (?:out|off|for|to|toward|towards|back|home|inside|outside|down|up)|slips? (?:in|out)|"
    r"goes|go|flees?|enters?|arrives?|bursts? (?:in|out|through)|steps (?:in|out|into|inside|"
    r"outside|forward|back|through)|comes?|strides?|follows?|catches up|races?|sprints?|"
    r"drags?|pulls?|pushes|push|carries|carry|chases?|leads|climbs?|descends?|"
    r"toward|towards|into|out of|outside|inside|downstairs|upstairs|through)\b",
    re.I,
)
LEARN = re.compile(
    r"\b(reads|learns|discovers|overhears|finds out|realizes|realises|sees|hears)\b", re.I
)
# A heading that marks a scene as a story told, imagined or remembered.
TOLD = re.compile(
    r"\b(STORY|FANTASY|IMAGIN\w*|HALLUCINATION|NIGHTMARE|LEGEND|MYTH|FLASH[- ]?FORWARD|"
    r"PREMONITION|MONTAGE OF MEMORIES|YEARS (?:EARLIER|BEFORE|AGO)|THE PAST)\b|回忆|闪回|梦境|幻觉",
    re.I,
)
SHARED = re.compile(  # a secret both parties know: "his affair with Lily" (a love may be one-sided)
    r"\b(?:relationship|affair|fling|romance|marriage|married|engaged|engagement|dated|dating|"
    r"divorced?|eloped)\b|恋情|私情|婚姻|婚约|结婚|离婚|交往",
    re.I,
)
INTERCUT = re.compile(r"\bINTERCUT\b|\bINTER-CUT\b|交叉剪辑", re.I)
# A line heard, not spoken in the room: a letter read aloud, a recording, a voicemail.
HEARD = re.compile(
    r"\b(reading|reads|letter|recorded|recording|voicemail|on tape|on the tape|tape|video|"
    r"from the grave|memory|remembered|in (?:his|her|their) head)\b|画外音|录音|信",
    re.I,
)
ABSENT = {"V.O.", "V.O", "VO", "ON PHONE", "PHONE", "FILTERED", "PRE-LAP", "ON TAPE", "ON VIDEO",
          "RECORDING", "ON RECORDING", "ON TV", "画外音", "旁白", "录音"}  # fmt: skip

DET = r"(?:the|his|her|their|its|my|your|a|an)"
OWNER = r"(?:[\w-]+(?:'s|\u2019s)\s+)?"  # "the Brother's phone": the prop is the phone
PROP = rf"{OWNER}(?P<prop>[\w-]+(?:\s+[\w-]+)?)"
WATER = (
    r"(?:in|into|off|over|down)\s+(?:the\s+|a\s+)?(?:river|sea|lake|fire|flames|well|ocean|abyss|"
    r"canal|harbou?r|cliff|furnace|sewer|drain|gorge|ravine|trash|bin|garbage|toilet|fireplace|"
    r"brazier|pond|waves|water|bay|creek)"
)
DESTROY_VERB = (
    r"smash(?:es|ed)?|shatter(?:s|ed)?|burns|burned|burnt|destroy(?:s|ed)?|crush(?:es|ed)|"
    r"tears up|rips up|shred(?:s|ded)?|breaks|broke|grinds|incinerates|pulveri[sz]es|"
    r"sets fire to|set fire to|melts down|stomps on"
)
DESTROYED_AS_SUBJECT = (
    r"shatters|crumbles|is destroyed|is smashed|is shattered|breaks apart|snaps in two|"
    r"goes up in flames|goes up in smoke|burns to (?:ash(?:es)?|a crisp|nothing)|burns up|"
    r"is burned to ash(?:es)?|is reduced to (?:ash(?:es)?|rubble|splinters)|is crushed|"
    r"breaks into pieces|is torn to pieces|melts|smashes (?:on|against|into|to)|"
    r"(?:cracks|splits|breaks|snaps) in (?:two|half)|breaks (?:on|against)|shatters (?:on|against)"
)
LOSE_VERB = r"loses|lost|misplaces"
THROW_VERB = r"drops|throws|threw|tosses|flings|flung|hurls|casts|dumps|feeds"
LOST_AS_SUBJECT = (
    r"is lost(?!\s+in\b)|is stolen|is gone|sinks|vanishes|is swept away|washes away|"
    r"disappears (?:into|beneath|under)"
)


def _forms(template: str) -> list[re.Pattern[str]]:
    """A pattern for a named thing ("the ring") and one for "it" (resolved by the reader)."""
    return [
        re.compile(template.replace("THING", rf"{DET}\s+{PROP}"), re.I),
        re.compile(template.replace("THING", r"(?P<it>it)\b"), re.I),
    ]


GONE = {
    "destroyed": [
        *_forms(rf"\b(?:{DESTROY_VERB})\s+THING"),
        *_forms(
            r"\b(?:snaps|snapped|breaks|broke|tears|tore|cuts|rips)\s+THING\s+"
            r"(?:in half|in two|to pieces|into pieces|apart)"
        ),
        *_forms(rf"\bTHING\s+(?:[\w'-]+\s+){{0,6}}?(?:and\s+)?(?:{DESTROYED_AS_SUBJECT})\b"),
    ],
    "lost": [
        *_forms(rf"\b(?:{LOSE_VERB})\s+THING"),
        *_forms(
            rf"\b(?:{THROW_VERB})\s+THING\s+(?:[\w-]+\s+){{0,4}}?"
            rf"(?:{WATER}|away|to the (?:fire|flames))"
        ),
        *_forms(rf"\b(?:{THROW_VERB})\s+away\s+THING"),
        *_forms(rf"\bTHING\s+(?:{LOST_AS_SUBJECT})"),
    ],
}
NOT_PROPS = set(
    re.findall(
        r"\S+",
        """silence heart hearts wrist arm arms leg legs hand hands neck nose jaw rib ribs bone
        bones spirit promise news rule rules law door doors window windows wall walls tension
        mood ice deal contract engagement glass glasses cup cups skin composure voice fall kiss
        contact spell cycle bond connection stillness surface grip gaze record way temper face
        breath sleep strength balance footing mind nerve nerves patience cool courage hope faith
        trust appetite innocence memory memories job life lives""",
    )
)
PARTICLES = {
    "into", "in", "on", "to", "at", "with", "under", "over", "off", "from", "and", "shut",
    "closed", "open", "up", "down", "out", "back", "away", "aside", "apart", "against",
}  # fmt: skip
GONE_CONTEXT = re.compile(
    r"\b(lost|gone|missing|broken|shards?|pieces|fragments|ash|ashes|remains|smashed|shattered|"
    r"destroyed|burnt|burned|ruin\w*|without|empty|where|remembers?|memory|new|another|"
    r"replica|copy|fake|once)\b",
    re.I,
)
RECOVERED = re.compile(r"\b(finds|found|recovers|retrieves|fishes out|gets back|digs up)\b", re.I)


PERSONS = set(
    re.findall(
        r"\S+",
        """man woman girl boy child baby crowd guard guards soldier soldiers people servant maid
        stranger figure lady gentleman men women friend friends family mother father sister
        brother wife husband son daughter self mind way life faith hope trust patience nerve
        balance footing consciousness control count track sight appetite""",
    )
)
REPLACED = re.compile(
    r"\b(new|replacement|another|duplicate|replica|spare|second|identical|copy of|"
    r"(?:made|carved|forged|cast) to match|just like)\b",
    re.I,
)


def gone_props(sentence: str, it: str | None = None) -> list[tuple[str, str]]:
    """(prop, "destroyed" | "lost") for each prop the sentence destroys or loses; "it" stands
    for `it` (what the reader resolved it to), and is skipped when `it` is None."""
    found = []
    for value, patterns in GONE.items():
        for pattern in patterns:
            for m in pattern.finditer(sentence):
                if "it" in m.groupdict():
                    if it:
                        found.append((it, value))
                    continue
                words = m.group("prop").split()
                if words[0][:1].isupper():
                    continue  # a name, not a prop
                words = [w.casefold() for w in words]
                if len(words) > 1 and words[1] in PARTICLES:
                    if words[1] in {"shut", "closed", "open", "up", "down", "back", "aside"}:
                        continue  # snaps the folder shut: closed, not destroyed
                    words = words[:1]
                if len(words) > 1 and words[1] in FUNCTION_WORDS:
                    words = words[:1]
                last = words[-1]
                if last in NOT_PROPS or last in PARTICLES or last in PERSONS:
                    continue
                if last in FUNCTION_WORDS:
                    continue
                found.append((" ".join(words), value))
    return list(dict.fromkeys(found))


FUNCTION_WORDS = set(
    re.findall(
        r"\S+",
        """as and or but then while when before after again too is are was were it that this
        so if of for by""",
    )
)


def uses(prop: str, sentence: str) -> bool:
    """Whether an action sentence shows `prop` (its head noun) in use: the same one ("the ring",
    "her ring", "a jade ring" for the jade ring), not a new one ("a ring", "another ring"), and
    not as lost or gone."""
    head = prop.split()[-1]
    plural = "(?:s|es)?" if head.endswith("s") else ""
    same = re.search(
        rf"\b(?:the|his|her|their|its|my|your|(?!(?:it|that|he|she|there|what|who|here)'s)"
        rf"[\w-]+(?:'s|\u2019s))\s+(?:[\w-]+\s+)?{re.escape(head)}{plural}\b",
        sentence,
        re.I,
    )
    if not same and len(prop.split()) > 1:  # "a jade pendant" is the lost jade pendant
        same = re.search(rf"\b(?:a|an)\s+{re.escape(prop)}\b", sentence, re.I)
    if not same:
        return False
    return not GONE_CONTEXT.search(IDIOMS.sub(" ", sentence))


# "lost in thought" loses nothing
IDIOMS = re.compile(
    r"\blost in (?:thought|the moment|the crowd|memor\w+|(?:his|her|their) \w+)", re.I
)
