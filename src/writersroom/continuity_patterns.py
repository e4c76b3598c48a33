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
    r"soul|dreams?|vision|news|name|letter|recording|thinks of|thought of|mourns?)\b",
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
DEATH = re.compile(
    r"\b(dies|died|is dead|falls dead|drops dead|lies dead|is killed|was killed|is shot dead|"
    r"breathes (?:his|her|their) last|goes limp and still)\b",
    re.I,
)
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
ABSENT = {"V.O.", "V.O", "VO", "ON PHONE", "PHONE", "FILTERED", "PRE-LAP"}

DET = r"(?:the|his|her|their|its|my|your|a|an)"
OWNER = r"(?:[\w-]+(?:'s|\u2019s)\s+)?"  # "the Brother's phone": the prop is the phone
PROP = rf"{OWNER}(?P<prop>[\w-]+(?:\s+[\w-]+)?)"
WATER = (
    r"(?:in|into|off|over)\s+(?:the\s+)?(?:river|sea|lake|fire|flames|well|ocean|abyss|canal|"
    r"harbou?r|cliff|furnace|sewer)"
)
GONE = {
    "destroyed": [
        re.compile(
            rf"\b(?:smash(?:es|ed)?|shatter(?:s|ed)?|burns|burned|burnt|destroy(?:s|ed)?|"
            rf"crush(?:es|ed)|tears up|rips up|shred(?:s|ded)?|breaks|broke|grinds)\s+"
            rf"{DET}\s+{PROP}",
            re.I,
        ),
        re.compile(
            rf"\b{DET}\s+{PROP}\s+(?:shatters|crumbles|is destroyed|is smashed|is shattered|"
            rf"breaks apart|snaps in two|goes up in flames|burns to ash(?:es)?|burns up)",
            re.I,
        ),
    ],
    "lost": [
        re.compile(rf"\b(?:loses|lost)\s+{DET}\s+{PROP}", re.I),
        re.compile(
            rf"\b(?:drops|throws|threw|tosses|flings|flung|hurls)\s+{DET}\s+{PROP}\s+{WATER}",
            re.I,
        ),
        re.compile(rf"\b{DET}\s+{PROP}\s+(?:is lost|is stolen|is gone|sinks|vanishes)", re.I),
    ],
}
NOT_PROPS = set(
    re.findall(
        r"\S+",
        """silence heart hearts wrist arm arms leg legs hand hands neck nose jaw rib ribs bone
        bones spirit promise news rule rules law door doors window windows wall walls tension
        mood ice deal contract engagement glass glasses cup cups skin composure voice fall kiss
        contact spell cycle bond connection stillness surface grip gaze record way temper face""",
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


def gone_props(sentence: str) -> list[tuple[str, str]]:
    """(prop, "destroyed" | "lost") for each prop the sentence destroys or loses."""
    found = []
    for value, patterns in GONE.items():
        for pattern in patterns:
            for m in pattern.finditer(sentence):
                words = m.group("prop").split()
                if words[0][:1].isupper():
                    continue  # a name, not a prop
                words = [w.casefold() for w in words]
                if len(words) > 1 and words[1] in PARTICLES:
                    if words[1] in {"shut", "closed", "open", "up", "down", "back", "aside"}:
                        continue  # snaps the folder shut: closed, not destroyed
                    words = words[:1]
                if words[-1] in NOT_PROPS or words[-1] in PARTICLES:
                    continue
                found.append((" ".join(words), value))
    return found


def uses(prop: str, sentence: str) -> bool:
    """Whether an action sentence shows `prop` (its head noun) in use, not as lost or gone."""
    head = prop.split()[-1]
    if not re.search(rf"\b{re.escape(head)}(?:s|es)?\b", sentence, re.I):
        return False
    return not GONE_CONTEXT.search(sentence)
