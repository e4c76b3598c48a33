"""What an episode's cut is made of, read back for the editors' tools.

`cut_episode` keeps the request it gave the assembler as `render/episode-NN/cut.json`: the
title card, then each shot's picture for its time in the cut, and each dialogue line's voice
at its place in its shot. Here that becomes a list of pieces on the episode's clock, each
naming a rendered file and the real length of that file (probed, never taken on trust), so
that a timeline can point at the files themselves instead of a flattened video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from writersroom.errors import InputError
from writersroom.memory import Memory
from writersroom.room.production import episode_folder
from writersroom.tools.assemble import AssembleRequest, title_card
from writersroom.tools.base import FPS, HEIGHT, WIDTH
from writersroom.tools.lipsync import AUDIO_SUFFIXES, VIDEO_SUFFIXES
from writersroom.tools.media import probe, write_video
from writersroom.tools.safety import inside

CUT_FILE = "cut.json"
TITLE_FILE = "title-card.mp4"


@dataclass(frozen=True)
class Piece:
    """One rendered file's stretch of the timeline.

    `start` and `duration` are on the episode's clock, `source` is where in the file the piece
    begins, and `media` is the file's own length (all in seconds). A piece that `holds` shows
    the file's last frame for `duration` (the cut pads a picture shorter than its shot so).
    `reel` is a short name for EDLs (8 characters at most).
    """

    name: str
    path: Path
    start: float
    duration: float
    media: float
    source: float = 0.0
    holds: bool = False
    reel: str = ""
    speaker: str = ""
    text: str = ""

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Cut:
    """An episode's cut: the pictures in order (the title card first) and the dialogue."""

    series: str
    title: str
    episode: int
    pictures: list[Piece]
    lines: list[Piece]
    subtitles: Path
    duration: float
    fps: int = FPS
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def name(self) -> str:
        return f"{self.series} - Episode {self.episode:02d}"

    def frames(self, seconds: float) -> int:
        """Seconds on the cut's frame grid (the nearest frame)."""
        return round(seconds * self.fps)


def media_seconds(path: Path) -> float:
    """A rendered file's own length, from ffmpeg's description of it."""
    seconds = probe(path).get("duration")
    if not seconds:
        raise InputError(f"{path} is not a readable media file: render the episode again")
    return float(seconds)


def read_request(project: Path, memory: Memory, episode: int) -> AssembleRequest:
    """The assembler's request for the episode's latest cut, or an InputError saying why not."""
    folder = episode_folder(project, episode)
    row = memory.episode(episode)
    if row is None or not row.get("video") or not (folder / "episode.mp4").exists():
        raise InputError(
            f"episode {episode} has not been cut yet: approve its shots and let the room "
            "produce it (`writersroom status` says what waits)"
        )
    kept = folder / CUT_FILE
    if not kept.exists():
        raise InputError(
            f"episode {episode} was cut before its timeline was kept: `writersroom render "
            f"{episode}` keeps it (from the cache: nothing is made again)"
        )
    try:
        return AssembleRequest.model_validate_json(kept.read_text(encoding="utf-8"))
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise InputError(
            f"{kept} is damaged ({problem}): `writersroom render {episode}` writes it again"
        ) from None


def title_picture(request: AssembleRequest, folder: Path) -> Piece:
    """The title card as a short video beside the shots (drawn as the cut draws it)."""
    path = folder / TITLE_FILE
    count = max(1, round(request.title_seconds * FPS))
    card = title_card(request)
    write_video((card for _ in range(count)), path)
    return Piece("Title card", path, 0.0, request.title_seconds, count / FPS, reel="TITLE")


def read_cut(project: Path, memory: Memory, episode: int) -> Cut:
    """The episode's cut as pieces on its clock; the title card is drawn into its render
    folder."""
    request = read_request(project, memory, episode)
    folder = episode_folder(project, episode)
    title = title_picture(request, folder)
    pictures, lines, clock = [title], [], title.duration
    for shot in request.shots:
        path = inside(folder, shot.video, VIDEO_SUFFIXES)
        media = media_seconds(path)
        shown = min(media, shot.duration_seconds)
        name = f"Shot {shot.shot}"
        reel = f"SHOT{shot.shot:02d}"
        pictures.append(Piece(name, path, clock, shown, media, reel=reel))
        if shot.duration_seconds - shown >= 1 / FPS:
            last = max(0.0, math.floor(media * FPS - 1e-6) / FPS)
            held = shot.duration_seconds - shown
            pictures.append(
                Piece(f"{name} (held)", path, clock + shown, held, media, last, True, reel)
            )
        for number, line in enumerate(shot.lines, 1):
            audio = inside(folder, line.audio, AUDIO_SUFFIXES)
            length = media_seconds(audio)
            lines.append(
                Piece(
                    f"Shot {shot.shot}: {line.speaker}",
                    audio,
                    clock + line.start_seconds,
                    min(length, line.duration_seconds),
                    length,
                    reel=f"S{shot.shot:02d}L{number}",
                    speaker=line.speaker,
                    text=line.text,
                )
            )
        clock += shot.duration_seconds
    return Cut(
        series=request.series,
        title=request.title,
        episode=episode,
        pictures=pictures,
        lines=lines,
        subtitles=folder / "episode.srt",
        duration=clock,
    )
