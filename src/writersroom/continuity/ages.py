"""Ages and kinship stated on the page; ages in digits or in words, in English or Chinese.

"LIN MEI (26)", "Lin Mei, twenty-six,", "the twenty-six-year-old Lin Mei", "Lin Mei is thirty
years old", "Lin Mei, aged 31", "Lin Mei turns 40", "I'm twenty-six", "林梅（26岁）",
"林梅今年二十六岁", "我今年二十六岁".
"""

from __future__ import annotations

import re
from itertools import pairwise

from writersroom.continuity import text as t
from writersroom.continuity.names import Mention
from writersroom.continuity.reading import zh_number

TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
WORDS = (
    rf"(?:{TENS}(?:[-\s]{UNITS}\b)?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    rf"seventeen|eighteen|nineteen|one|two|three|four|five|six|seven|eight|nine)"
)
AGE = rf"(\d{{1,3}}|{WORDS})"
ZH_AGE = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*岁"
AFTER = [
    re.compile(rf"\s*\(\s*(?:age\s+|aged\s+)?{AGE}\s*[,)]", re.I),  # Mei (26) / Mei (twenty-six)
    re.compile(
        rf",\s*(?:age\s+|aged\s+|now\s+|just\s+)?{AGE}\b"
        rf"(?!\s*(?:years? ago|minutes|hours|days|weeks|months|times|of|o'clock))",
        re.I,
    ),
    re.compile(
        rf"(?:'s|\u2019s| is| was| turns| turned| has just turned)\s+(?:now\s+|only\s+|just\s+)?"
        rf"{AGE}(?:\s+years?\s+old|\s+today|(?=\s*[.,!;]))",
        re.I,
    ),
    re.compile(rf"[（(]\s*{ZH_AGE}\s*[)）]"),
    re.compile(rf"(?:今年|已经|才|刚满)\s*{ZH_AGE}"),
]
BEFORE = re.compile(
    rf"\b{AGE}[-\s]years?[-\s]old\s+(?:\w+\s+)?$|^\s*At\s+(?:just\s+|only\s+)?{AGE},\s*$", re.I
)
SELF = [
    re.compile(
        rf"\bI(?:'m|\u2019m| am| turned| just turned)\s+{AGE}"
        rf"(?=\s+years?\s+old\b|\s*[.,!?;]|\s*$|\s+(?:and|but|now|already|today|last|this)\b)",
        re.I,
    ),
    re.compile(rf"我(?:今年|已经|才)?\s*{ZH_AGE}"),
]


def number(text: str) -> int | None:
    """An age in digits, English words ("twenty six", "Twenty-Six") or Chinese ("二十六")."""
    text = re.sub(r"\s+", "-", text.strip().casefold())
    return t.number(text) if t.number(text) is not None else zh_number(text)


def stated(text: str, mentions: list[Mention], speaker: str | None) -> list[tuple[str, int]]:
    """(who, age) for each age the text gives a cast member, or the speaker gives themself."""
    found: list[tuple[str, int]] = []
    for m in mentions:
        if m.possessive and not text[m.end :].startswith(("'s ", "\u2019s ")):
            continue
        rest = text[m.end :]
        for pattern in AFTER:
            hit = pattern.match(rest)
            if hit and (age := number(hit.group(1))) is not None:
                found.append((m.name, age))
                break
        else:
            before = BEFORE.search(text[: m.start])
            if before and (age := number(before.group(1) or before.group(2))) is not None:
                if before.group(2) and age < 13:
                    continue  # "At three, Mei wakes": a time, not an age
                found.append((m.name, age))
    if speaker is not None:
        for pattern in SELF:
            for hit in pattern.finditer(text):
                if (age := number(hit.group(1))) is not None:
                    found.append((speaker, age))
    return found


def kinship(text: str, mentions: list[Mention], speaker: str | None) -> list[tuple[str, str, str]]:
    """(who, whose, family) for each kinship the text states ("Mei's sister Yue", "my son")."""
    stated: list[tuple[str, str, str]] = []  # (who, whose, family)
    kin = rf"(?:(?:elder|younger|big|little|older)\s+)?({t.KIN_WORDS})s?"
    for a, b in pairwise(mentions):
        between = text[a.end : b.start]
        if a.possessive:
            m = re.fullmatch(rf"(?:'s|\u2019s)\s+{kin},?\s*", between, re.I)
            if m:
                stated.append((b.name, a.name, t.kin(m.group(1))))
        elif b.possessive and re.fullmatch(r"\s*,\s*", between):
            m = re.match(rf"(?:'s|\u2019s)\s+{kin}\b", text[b.end :], re.I)
            if m:
                stated.append((a.name, b.name, t.kin(m.group(1))))
    if speaker is not None:
        for mention in mentions:
            mine = re.search(rf"\bmy\s+{kin},?\s*$", text[: mention.start], re.I) or re.match(
                rf",?\s*my\s+{kin}\b", text[mention.end :], re.I
            )
            if mine:
                stated.append((mention.name, speaker, t.kin(mine.group(1))))
    return stated
