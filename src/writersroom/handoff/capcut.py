"""A Jianying (剪映) / CapCut draft of a cut, written by pyJianYingDraft.

The draft is a folder (`draft_content.json`, `draft_meta_info.json`) made inside the folder
given, which should be the editor's drafts folder (Jianying: `JianyingPro Drafts`). It has a
`Picture` video track (the title card, then one clip per shot), a `Dialogue` audio track
(one clip per line, at its time) and a `Subtitles` text track (one text per line, the same
times). Every material is the rendered file itself, by absolute path, measured by
pyJianYingDraft's own probe.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyJianYingDraft as draft

from writersroom.handoff.cut import Cut, Piece

MICRO = 1_000_000
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _us(seconds: float) -> int:
    return round(seconds * MICRO)


def draft_name(cut: Cut) -> str:
    """The draft's folder name: the series and episode, without characters a file system
    refuses."""
    return UNSAFE.sub(" ", cut.name).strip() or f"Episode {cut.episode:02d}"


def _picture(piece: Piece, material: draft.VideoMaterial) -> draft.VideoSegment:
    start, end = _us(piece.start), _us(piece.end)
    target = draft.Timerange(start, end - start)
    if piece.holds:  # the last frame, slowed to fill the shot
        frame = min(_us(1 / 24), material.duration)
        source = draft.Timerange(material.duration - frame, frame)
    else:
        source = draft.Timerange(0, min(end - start, material.duration))
        target = draft.Timerange(start, source.duration)
    return draft.VideoSegment(material, target, source_timerange=source)


def _voice(piece: Piece, material: draft.AudioMaterial) -> draft.AudioSegment:
    start = _us(piece.start)
    length = min(_us(piece.duration), material.duration)
    return draft.AudioSegment(
        material, draft.Timerange(start, length), source_timerange=draft.Timerange(0, length)
    )


def _subtitle(piece: Piece) -> draft.TextSegment:
    start = _us(piece.start)
    return draft.TextSegment(
        piece.text,
        draft.Timerange(start, _us(piece.end) - start),
        style=draft.TextStyle(size=6.0, color=(1.0, 1.0, 1.0), align=1, auto_wrapping=True),
        border=draft.TextBorder(color=(0.0, 0.0, 0.0), width=30.0),
        clip_settings=draft.ClipSettings(transform_y=-0.72),
    )


def write(cut: Cut, out: Path) -> Path:
    """Write the cut as a draft folder inside `out` (replacing one of the same name)."""
    out.mkdir(parents=True, exist_ok=True)
    name = draft_name(cut)
    script = draft.DraftFolder(str(out)).create_draft(
        name, cut.width, cut.height, cut.fps, allow_replace=True
    )
    picture = script.append_track(draft.TrackSpec(draft.TrackType.video, name="Picture"))
    dialogue = script.append_track(draft.TrackSpec(draft.TrackType.audio, name="Dialogue"))
    subtitles = script.append_track(draft.TrackSpec(draft.TrackType.text, name="Subtitles"))
    videos: dict[Path, draft.VideoMaterial] = {}
    for piece in cut.pictures:
        material = videos.setdefault(piece.path, draft.VideoMaterial(str(piece.path)))
        script.add_segment(_picture(piece, material), picture)
    for piece in cut.lines:
        script.add_segment(_voice(piece, draft.AudioMaterial(str(piece.path))), dialogue)
        script.add_segment(_subtitle(piece), subtitles)
    script.save()
    return out / name
