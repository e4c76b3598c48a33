"""Who a script speaks of: the cast's names and short names, mentions in text, and near misses.

A near miss is a name that is almost, but not exactly, one of the cast's ("Lin Wei" for
"Lin Mei"): names drift when a writer or a model retypes them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from writersroom.continuity.text import STOPWORDS, edits, misspelt

# One-word names shorter than this are too close to ordinary words ("Then" for "Chen").
SINGLE_MIN = 5
CJK = re.compile(r"[\u4e00-\u9fff]")
HAN_TITLES = set("姐哥弟妹总董先太夫少爷叔姨婆公母父子女家氏")
CAPITALIZED_RUN = re.compile(r"[A-Z][\w\u2019'-]*(?:[ ]+[A-Z][\w\u2019'-]*){0,2}")
POSSESSIVE = ("'s", "\u2019s", "'S", "\u2019S")


@dataclass(frozen=True)
class Mention:
    name: str
    start: int
    end: int
    possessive: bool


class Names:
    """The cast's names: full names in any case, unique single words (Mei, Hao) capitalized."""

    def __init__(self, cast: list[str]) -> None:
        self.cast = list(dict.fromkeys(cast))
        self.full = {n.casefold(): n for n in self.cast}
        words = Counter(w.casefold() for n in self.cast for w in n.split())
        self.alias = {
            w.casefold(): n
            for n in self.cast
            for w in n.split()
            if len(n.split()) > 1
            and words[w.casefold()] == 1
            and len(w) >= 3
            and w.casefold() not in STOPWORDS
            and w.isalpha()
        }
        latin = [n for n in self.full if not CJK.search(n)]
        cjk = [n for n in self.full if CJK.search(n)]
        full = "|".join(re.escape(n) for n in sorted(latin, key=len, reverse=True))
        alias_forms = {f for a in self.alias for f in (a.title(), a.upper())}
        alias = "|".join(re.escape(a) for a in sorted(alias_forms, key=len, reverse=True))
        self._full = re.compile(rf"(?<![\w'])(?:{full})(?![\w-])", re.I) if full else None
        self._alias = re.compile(rf"(?<![\w'])(?:{alias})(?![\w-])") if alias else None
        han = "|".join(re.escape(n) for n in sorted(cjk, key=len, reverse=True))
        self._han = re.compile(han) if han else None  # Chinese has no spaces between words

    def resolve(self, name: str) -> str | None:
        key = name.strip().casefold()
        return self.full.get(key) or self.alias.get(key)

    def find(self, text: str) -> list[Mention]:
        """Every mention of a cast member in `text`, in order, longest names first."""
        found: list[Mention] = []
        taken: set[int] = set()
        for pattern in (self._full, self._han, self._alias):
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                if taken & set(range(m.start(), m.end())):
                    continue
                taken |= set(range(m.start(), m.end()))
                name = self.resolve(m.group())
                assert name is not None
                after = text[m.end() : m.end() + 2]
                possessive = after in POSSESSIVE or after[:1] == "的"
                found.append(Mention(name, m.start(), m.end(), possessive))
        return sorted(found, key=lambda m: m.start)

    def strip(self, text: str) -> str:
        """`text` with the cast's names blanked out."""
        for m in reversed(self.find(text)):
            text = text[: m.start] + " " + text[m.end :]
        return text

    def near_miss(self, name: str) -> str | None:
        """The cast member `name` is almost but not exactly, or None.

        Multi-word names must match word for word but for one misspelt word ("Lin Wei" for
        "Lin Mei"); a one-word name (4+ letters) must be a misspelling of a cast member's
        one-word name or short name.
        """
        if self.resolve(name) is not None:
            return None
        if CJK.search(name):
            return self._han_miss(name.strip())
        words = name.split()
        for full in self.cast:
            parts = full.split()
            if len(parts) != len(words) or len(words) < 2:
                continue
            differ = [
                (w, p) for w, p in zip(words, parts, strict=True) if w.casefold() != p.casefold()
            ]
            if len(differ) == 1 and misspelt(*differ[0]):
                return full
        if len(words) == 1 and len(name) >= SINGLE_MIN:
            singles = {n.casefold(): n for n in self.cast if len(n.split()) == 1}
            for word, full in {**self.alias, **singles}.items():
                if len(word) >= SINGLE_MIN and misspelt(name, word) and edits(name, word) == 1:
                    return full
        return None

    def _han_miss(self, name: str) -> str | None:
        """A Chinese name one character off a cast member's of the same length ("林妹" for
        "林梅"); of three or more characters, the surname (the first) must agree."""
        for full in self.cast:
            if not CJK.search(full) or len(full) != len(name) or not 2 <= len(name) <= 4:
                continue
            differ = [i for i, (a, b) in enumerate(zip(name, full, strict=True)) if a != b]
            if len(differ) == 1 and (len(name) == 2 or differ[0] > 0):
                return full
        return None

    def han_drifted(self, text: str) -> list[tuple[str, str]]:
        """Near misses of the cast's Chinese names of three or more characters in `text`."""
        found = []
        taken = {(m.start, m.end) for m in self.find(text)}
        for full in self.cast:
            if not CJK.search(full) or len(full) < 3:
                continue
            for i in range(len(text) - len(full) + 1):
                candidate = text[i : i + len(full)]
                if (i, i + len(full)) in taken or candidate[0] != full[0]:
                    continue
                if candidate[-1] in HAN_TITLES or not CJK.fullmatch(candidate[-1]):
                    continue  # 林小姐 is Miss Lin, not a misspelt 林小梅
                if self._han_miss(candidate) == full and (candidate, full) not in found:
                    found.append((candidate, full))
        return found

    def drifted(self, text: str) -> list[tuple[str, str]]:
        """(the written name, the cast member meant) for each near-miss name in `text`.

        In running text a word that differs in its first letter ("Kenny", "Jenny") is taken
        for another name: retyping keeps the initial.
        """
        found = []
        for run in CAPITALIZED_RUN.finditer(text):
            words = run.group().split()
            for size in range(len(words), 0, -1):
                for i in range(len(words) - size + 1):
                    candidate = " ".join(words[i : i + size])
                    for suffix in POSSESSIVE:
                        candidate = candidate.removesuffix(suffix)
                    meant = self.near_miss(candidate)
                    if meant and not any(
                        w[:1].casefold() == candidate[:1].casefold() for w in meant.split()
                    ):
                        continue
                    if meant and (candidate, meant) not in found:
                        found.append((candidate, meant))
        return found + (self.han_drifted(text) if self._han else [])


def infer_cast(cues: list[str], action: str = "") -> tuple[list[str], dict[str, str]]:
    """The cast of a script with no cast list: its speakers, and which cues drifted from whom.

    Of two cues that are near misses of each other, the one spoken less often (or, as often,
    later) is the drift, unless the action introduces it in capitals as screenplays introduce
    a character ("XU YIYANG stands in the doorway"): then it is a character of its own.
    """
    counts = Counter(cue.casefold() for cue in cues)
    first: dict[str, tuple[int, str]] = {}
    for i, cue in enumerate(cues):
        first.setdefault(cue.casefold(), (i, cue))
    names = sorted(counts, key=lambda c: (-counts[c], first[c][0]))
    cast: list[str] = []
    drift: dict[str, str] = {}
    for name in names:
        cue = first[name][1]
        meant = Names(cast).near_miss(cue) if cast else None
        introduced = re.search(rf"(?<![\w']){re.escape(cue.upper())}(?![\w-])", action)
        if meant is not None and not introduced:
            drift[name] = meant
        else:
            cast.append(first[name][1])
    return cast, drift
