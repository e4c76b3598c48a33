"""Reading screenplay text for the continuity rules: headings, names, keywords, ages, kinship.

Plain functions over strings, no model: what a script supervisor looks for on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
WORD = re.compile(r"[A-Za-z\u00C0-\u024F\u4e00-\u9fff][\w'\u2019-]*")
STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """about above after again against also although among another because been before
        being below between both cannot could does doing down during each even ever every from
        have having here herself himself into itself just know knows like more most much must
        myself never only other ours ourselves over same shall should some such than that their
        theirs them themselves then there these they this those through under until very want
        were what when where which while whom whose will with would your yours yourself she her
        his him who the and for are was you not all any can had has our out real really truly
        tell told said says""",
    )
)

NIGHT = {"NIGHT", "MIDNIGHT", "LATE NIGHT"}
DAY = {"DAY", "MORNING", "NOON", "MIDDAY", "AFTERNOON", "LATE MORNING"}
TWILIGHT = {"DAWN", "DUSK", "EVENING", "SUNSET", "SUNRISE", "TWILIGHT", "DAYBREAK"}
ACTION_TIME = {
    "night": re.compile(r"\b(moonlight|moonlit|midnight|starlight|the moon)\b", re.I),
    "day": re.compile(
        r"\b(sunlight|sunlit|broad daylight|midday|noon sun|morning sun|afternoon sun)\b", re.I
    ),
}
CONTINUOUS = re.compile(r"\bCONTINUOUS\b", re.I)
SAME_TIME = re.compile(r"\b(SAME TIME|MEANWHILE|SIMULTANEOUS)\b", re.I)
FLASHBACK = re.compile(
    r"\b(FLASHBACK|FLASH BACK|EARLIER|YEARS AGO|PAST|DREAM|MEMORY|VISION)\b", re.I
)
PREFIX = re.compile(r"^\s*(?:INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[. ]\s*", re.I)

KIN = {
    "sibling": {"brother", "sister", "twin", "sibling"},
    "spouse": {"husband", "wife", "spouse"},
    "parent": {"father", "mother", "dad", "mom", "mum", "parent"},
    "child": {"son", "daughter", "child"},
    "cousin": {"cousin"},
    "fiance": {"fiance", "fiancee", "fiancé", "fiancée", "betrothed"},
    "uncle": {"uncle", "aunt"},
    "nephew": {"nephew", "niece"},
    "grandparent": {"grandfather", "grandmother", "grandpa", "grandma"},
    "grandchild": {"grandson", "granddaughter"},
}
INVERSE = {
    "parent": "child",
    "child": "parent",
    "uncle": "nephew",
    "nephew": "uncle",
    "grandparent": "grandchild",
    "grandchild": "grandparent",
}
KIN_WORDS = "|".join(sorted((w for ws in KIN.values() for w in ws), key=len, reverse=True))

ONES = re.findall(
    r"\S+",
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen""",
)
NUMBER_WORDS = {w: i for i, w in enumerate(ONES)}
TENS = {
    w: 10 * i
    for i, w in enumerate(
        re.findall(r"\S+", "_ _ twenty thirty forty fifty sixty seventy eighty ninety")
    )
    if i >= 2
}


@dataclass(frozen=True)
class Heading:
    location: str
    time: str  # "day", "night", "twilight" or "" (not said)
    continuous: bool
    same_time: bool
    flashback: bool


def heading(text: str) -> Heading:
    """Read a scene heading: `INT. LIN TOWER - HALLWAY - NIGHT (CONTINUOUS)`."""
    body = PREFIX.sub("", text).strip()
    parts = [p.strip(" ()") for p in re.split(r"\s+[-–—]\s+|\s*\(|\)", body) if p.strip(" ()")]
    time = ""
    location_parts = []
    for part in parts:
        upper = part.upper()
        if upper in NIGHT:
            time = "night"
        elif upper in DAY:
            time = "day"
        elif upper in TWILIGHT:
            time = "twilight"
        elif not (CONTINUOUS.search(part) or SAME_TIME.search(part) or FLASHBACK.search(part)):
            location_parts.append(upper)
    return Heading(
        location=" - ".join(location_parts),
        time=time,
        continuous=bool(CONTINUOUS.search(text)),
        same_time=bool(SAME_TIME.search(text)),
        flashback=bool(FLASHBACK.search(text)),
    )


def same_place(a: str, b: str) -> bool:
    """Two headings' places are one when either contains the other (`HOUSE`, `HOUSE - HALL`)."""
    return a == b or a.startswith(b) or b.startswith(a)


def clashing_times(a: str, b: str) -> bool:
    return {a, b} == {"day", "night"}


def action_time(text: str) -> str:
    """The time of day that action text shows ("day" / "night"), or ""."""
    found = [name for name, pattern in ACTION_TIME.items() if pattern.search(text)]
    return found[0] if len(found) == 1 else ""


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def stem(word: str) -> str:
    """A crude stem that makes "swapped", "swaps" and "swap" one word."""
    word = word.casefold().replace("\u2019", "'").removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def keywords(text: str, exclude: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """The distinctive words of a phrase: stems of 4+ letters, no stopwords or names."""
    return {
        stem(w)
        for w in WORD.findall(text)
        if len(w) >= 4 and w.casefold() not in STOPWORDS and w.casefold() not in exclude
    }


def mentions(words: set[str], text: str) -> bool:
    """Whether `text` speaks of a phrase whose keywords are `words`."""
    if not words:
        return False
    found = words & {stem(w) for w in WORD.findall(text)}
    needed = 1 if len(words) == 1 else min(3, max(2, (len(words) + 1) // 2))
    return len(found) >= needed


def edits(a: str, b: str) -> int:
    """Levenshtein distance, case-insensitive."""
    a, b = a.casefold(), b.casefold()
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def misspelt(a: str, b: str) -> bool:
    """Whether word `a` reads as a retyping of word `b` ("Wei" for "Mei"), not another word
    ("Swordsman" for "Swordswoman"), a plural or a label ("B" for "A")."""
    a, b = a.casefold(), b.casefold()
    if a == b or min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1:
        return False
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if longer == shorter + shorter[-1]:
        return True  # a doubled last letter ("Yuee" for "Yue") is a slip of the keys
    if a.startswith(b) or b.startswith(a) or {a[-3:], b[-3:]} == {"man", "men"}:
        return False  # a plural, a possessive, a longer word
    return edits(a, b) <= (1 if len(b) <= 6 else 2)


def kin(word: str) -> str:
    """The family of a kinship word or phrase ("twin sister" -> "sibling"), or ""."""
    for part in reversed(word.casefold().split()):
        family = next((family for family, words in KIN.items() if part in words), "")
        if family:
            return family
    return ""


def inverse(family: str) -> str:
    return INVERSE.get(family, family)


def number(text: str) -> int | None:
    """An age written in digits or words ("26", "twenty-six")."""
    text = text.casefold().strip()
    if text.isdigit():
        return int(text)
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    tens, _, unit = text.partition("-")
    if tens in TENS and (not unit or unit in NUMBER_WORDS):
        return TENS[tens] + NUMBER_WORDS.get(unit, 0)
    return None


AGE_WORD = r"(\d{1,3}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|\w+teen)"
SELF_AGE = re.compile(
    rf"\bI(?:'m|’m| am) {AGE_WORD}(?= years? old\b|\s*[.,!?;]|\s*$|\s+(?:and|but|now|already)\b)",
    re.I,
)
