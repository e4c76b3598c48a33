"""Editable timelines of a cut through OpenTimelineIO and its adapters.

One OTIO timeline is built from the cut: a `Picture` track (the title card, then each shot's
rendered picture) and a `Dialogue` track (each line's voice at its time, gaps between), every
clip pointing at the rendered file with its real length. The subtitles ride on the dialogue
clips as markers, and the episode's .srt is copied beside every export. Written as `.otio`,
as FCP 7 XML (Premiere, DaVinci Resolve, Final Cut Pro 7) and as CMX 3600 EDLs: one for the
picture, one for the dialogue (an EDL event list holds one track).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import opentimelineio as otio

from writersroom.handoff.cut import Cut, Piece

FORMATS = {"otio": ".otio", "fcpxml": ".xml", "edl": ".edl"}


def _time(frames: int, rate: int) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


def _range(start: int, frames: int, rate: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_time(start, rate), _time(frames, rate))


def _clip(cut: Cut, piece: Piece, frames: int) -> otio.schema.Clip:
    rate = cut.fps
    available = math.floor(piece.media * rate + 1e-6)
    reference = otio.schema.ExternalReference(
        target_url=piece.path.as_uri(), available_range=_range(0, available, rate)
    )
    reference.name = piece.path.name
    if piece.holds:
        source = _range(min(cut.frames(piece.source), available - 1), frames, rate)
    else:
        source = _range(0, min(frames, available), rate)
    clip = otio.schema.Clip(name=piece.name, media_reference=reference, source_range=source)
    if piece.holds:
        clip.effects.append(otio.schema.FreezeFrame())
    if piece.text:
        marker = otio.schema.Marker(
            name=piece.text,
            marked_range=_range(0, source.duration.to_frames(), rate),
            color=otio.schema.MarkerColor.YELLOW,
        )
        marker.metadata["writersroom"] = {"speaker": piece.speaker, "subtitle": piece.text}
        clip.markers.append(marker)
    clip.metadata["writersroom"] = {"file": str(piece.path), "speaker": piece.speaker}
    clip.metadata["cmx_3600"] = {"reel": piece.reel}
    return clip


def _track(cut: Cut, name: str, kind: str, pieces: list[Piece]) -> otio.schema.Track:
    """Pieces in order on the cut's frame grid; boundaries are rounded, never lengths, so the
    track does not drift from the cut."""
    track = otio.schema.Track(name=name, kind=kind)
    at = 0
    for piece in pieces:
        start = max(at, cut.frames(piece.start))
        frames = cut.frames(piece.end) - start
        if frames <= 0:
            continue
        if start > at:
            track.append(otio.schema.Gap(source_range=_range(0, start - at, cut.fps)))
        clip = _clip(cut, piece, frames)
        track.append(clip)
        at = start + clip.source_range.duration.to_frames()
    return track


def timeline(cut: Cut) -> otio.schema.Timeline:
    """The cut as an OTIO timeline: a picture track and a dialogue track."""
    made = otio.schema.Timeline(name=cut.name, global_start_time=_time(0, cut.fps))
    made.metadata["writersroom"] = {
        "series": cut.series,
        "episode": cut.episode,
        "title": cut.title,
        "width": cut.width,
        "height": cut.height,
        "fps": cut.fps,
    }
    made.tracks.append(_track(cut, "Picture", otio.schema.TrackKind.Video, cut.pictures))
    made.tracks.append(_track(cut, "Dialogue", otio.schema.TrackKind.Audio, cut.lines))
    return made


def _sequence_format(cut: Cut) -> str:
    """FCP XML's sequence format, which the adapter leaves empty: a 9:16 frame at the cut's
    rate, so that Premiere and Resolve open the sequence vertical."""
    return (
        "<format><samplecharacteristics>"
        f"<rate><timebase>{cut.fps}</timebase><ntsc>FALSE</ntsc></rate>"
        f"<width>{cut.width}</width><height>{cut.height}</height>"
        "<anamorphic>FALSE</anamorphic><pixelaspectratio>square</pixelaspectratio>"
        "<fielddominance>none</fielddominance>"
        "</samplecharacteristics></format>"
    )


def write(cut: Cut, kind: str, out: Path) -> list[Path]:
    """Write the cut as `kind` (otio, fcpxml or edl) into the folder `out`; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"episode-{cut.episode:02d}"
    made = timeline(cut)
    written = []
    if kind == "otio":
        written.append(out / f"{stem}.otio")
        otio.adapters.write_to_file(made, str(written[-1]), adapter_name="otio_json")
    elif kind == "fcpxml":
        written.append(out / f"{stem}.xml")
        text = otio.adapters.write_to_string(made, adapter_name="fcp_xml")
        text = text.replace("<format/>", _sequence_format(cut), 1)
        written[-1].write_text(text, encoding="utf-8")
    elif kind == "edl":
        picture, dialogue = made.tracks[0], made.tracks[1]
        written.append(out / f"{stem}.edl")
        _edl(made.name, [picture.clone()], written[-1])
        if len(dialogue.find_clips()):
            written.append(out / f"{stem}.dialogue.edl")
            # The writer lists the first track's events and wants one video track present.
            empty = otio.schema.Track(kind=otio.schema.TrackKind.Video)
            _edl(f"{made.name} dialogue", [dialogue.clone(), empty], written[-1])
    else:
        raise ValueError(f"unknown timeline format {kind!r}")
    subtitles = out / f"{stem}.srt"
    shutil.copyfile(cut.subtitles, subtitles)
    return [*written, subtitles]


def _edl(name: str, tracks: list[otio.schema.Track], path: Path) -> None:
    made = otio.schema.Timeline(name=name)
    made.tracks.extend(tracks)
    otio.adapters.write_to_file(made, str(path), adapter_name="cmx_3600", style="avid")
