"""Times measured on the rendered cut: its subtitles (each line where the cut places it), the
voices' real durations (the render ledger), the video's runtime.

The plan's times are not a measurement: `plan_shots` fits each shot to its lines at the same
words per second the speech estimate uses, so a rate computed from the plan cannot come out
too fast. Metrics use these times when the episode is rendered and say "estimated" otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{1,3})")
VOICE_TOOL = "synthesize_voice"


def _seconds(stamp: str) -> float:
    m = SRT_TIME.fullmatch(stamp.strip())
    if m is None:
        raise ValueError(f"not an SRT time: {stamp!r}")
    h, mi, s, ms = m.groups()
    return int(h) * 3600 + int(mi) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def parse_srt(text: str) -> list[dict[str, Any]]:
    """The cues of an .srt file: [{"start", "end", "text"}], in order."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        arrow = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if arrow is None:
            continue
        start, _, end = lines[arrow].partition("-->")
        cues.append(
            {
                "start": _seconds(start),
                "end": _seconds(end.split()[0]),
                "text": "\n".join(lines[arrow + 1 :]),
            }
        )
    return cues


def read_subtitles(folder: Path, episode: int) -> list[dict[str, Any]]:
    """The cut's subtitle cues of a project's episode, or [] when it is not rendered."""
    path = folder / "render" / f"episode-{episode:02d}" / "episode.srt"
    return parse_srt(path.read_text(encoding="utf-8")) if path.is_file() else []


def voice_seconds(renders: list[dict[str, Any]]) -> float | None:
    """The total length of the voices of the latest render run (None: no voice rendered)."""
    voices = [r for r in renders if r.get("tool") == VOICE_TOOL and r.get("duration_seconds")]
    if not voices:
        return None
    latest = max(r.get("run") or 0 for r in voices)
    return sum(float(r["duration_seconds"]) for r in voices if (r.get("run") or 0) == latest)
