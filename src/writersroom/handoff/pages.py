"""Screenplay pages (PDF) and Final Draft files (.fdx) of a script, written by screenplain.

The script goes through its Fountain text (`fountain.to_fountain`, the room's own export) with a
title page for reading: the series, the episode's title and number, the date. screenplain lays
it out in the standard format: Courier (Prime) 12 on US Letter, scene headings with their
numbers, character cues and dialogue at their margins, and a title page.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from screenplain.export.fdx import to_fdx
from screenplain.export.pdf import FontSettings, Settings, to_pdf
from screenplain.parsers import fountain as screenplain_fountain
from screenplain.types import Screenplay

from writersroom.schemas import Script
from writersroom.screenplay import fountain
from writersroom.speech import CJK

CJK_FAMILY = "WenQuanYi Micro Hei Mono"
MONO_INDEX = 1  # the collection's monospaced face


class CjkFont(FontSettings):
    """The bundled CJK + Latin font's monospaced face, for scripts with Chinese or Japanese:
    Courier Prime has no CJK glyphs. One face serves for bold and italic too."""

    def __init__(self) -> None:
        from writersroom.tools.storyboard import font_file

        super().__init__(CJK_FAMILY)
        self.file_normal = str(font_file())

    def register(self) -> None:
        if CJK_FAMILY not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(CJK_FAMILY, self.file_normal, subfontIndex=MONO_INDEX))
        face = CJK_FAMILY
        pdfmetrics.registerFontFamily(face, normal=face, bold=face, italic=face, boldItalic=face)


def settings_for(script: Script) -> Settings | None:
    """screenplain's settings: its default (Courier Prime 12) unless the script has CJK text,
    which is set in the CJK font and wrapped between characters."""
    text = " ".join(
        [script.title]
        + [scene.action + scene.heading for scene in script.scenes]
        + [line.text + line.speaker for scene in script.scenes for line in scene.lines]
    )
    if not CJK.search(text):
        return None
    font = CjkFont()
    font.register()
    settings = Settings(font_settings=font)
    for style in vars(settings).values():
        if isinstance(style, ParagraphStyle):
            style.wordWrap = "CJK"
    return settings


def _quoted(text: str) -> str:
    """A title-page value on one line, without Fountain's emphasis marks."""
    return " ".join(text.replace("*", "").replace("_", " ").split())


def pages_text(series: str, script: Script, cast: list[tuple[str, int | None]]) -> str:
    """The script's Fountain text with a title page for print: series, episode, date."""
    body = fountain.to_fountain(script, cast).split("\n\n", 1)[1]
    for speaker in script.speakers():  # screenplain knows a cue by its capitals: force others
        cue = speaker.upper()
        if not any("A" <= c <= "Z" for c in cue):
            body = body.replace(f"\n\n{cue}\n", f"\n\n@{cue}\n")
    title_page = [
        "Title:",
        f"    **{_quoted(series).upper()}**",
        f'    "{_quoted(script.title)}"',
        f"Credit: Episode {script.episode}",
        f"Draft date: {date.today().isoformat()}",
        "",
        "",
    ]
    return "\n".join(title_page) + body


def screenplay(series: str, script: Script, cast: list[tuple[str, int | None]]) -> Screenplay:
    text = pages_text(series, script, cast)
    return screenplain_fountain.parse(io.StringIO(text))


def write_pdf(series: str, script: Script, cast: list[tuple[str, int | None]], out: Path) -> Path:
    """Screenplay pages of the script as a PDF at `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    to_pdf(screenplay(series, script, cast), str(out), settings=settings_for(script))
    return out


def write_fdx(series: str, script: Script, cast: list[tuple[str, int | None]], out: Path) -> Path:
    """The script as a Final Draft document at `out`: one paragraph per element."""
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    to_fdx(screenplay(series, script, cast), buffer)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return out
