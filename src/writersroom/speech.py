"""How long dialogue takes to say, estimated from its text where no audio exists yet."""

from __future__ import annotations

import re

LEAD_SECONDS = 0.3  # silence before a shot's first line
GAP_SECONDS = 0.25  # between two lines of a shot
TAIL_SECONDS = 0.4  # after a shot's last line
SPEECH_WORDS_PER_SECOND = 2.5
SPEECH_CJK_PER_SECOND = 4.5
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+(?:['’][^\W_]+)*"
)


def words(text: str) -> int:
    """Words of Latin-like scripts (CJK characters are counted apart)."""
    return sum(1 for t in TOKEN.findall(text) if not CJK.fullmatch(t))


def spoken_seconds(text: str) -> float:
    """Seconds to say `text` at an unhurried pace."""
    cjk = len(CJK.findall(text))
    return words(text) / SPEECH_WORDS_PER_SECOND + cjk / SPEECH_CJK_PER_SECOND


def shot_seconds(lines: list[str]) -> float:
    """Seconds a shot needs to hold `lines` as the cut places them (0 for a silent shot)."""
    if not lines:
        return 0.0
    said = sum(spoken_seconds(line) for line in lines)
    return LEAD_SECONDS + said + GAP_SECONDS * (len(lines) - 1) + TAIL_SECONDS
