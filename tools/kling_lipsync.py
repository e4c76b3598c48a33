"""lip_sync on Kling: its audio-to-video lip-sync task, for shots that Kling made.

Kling's lip-sync takes the video as the id of a video Kling generated (`input.video_id`, from
the last 30 days) or as a public URL (`input.video_url`); a shot file in the render folder has
no public URL, so this backend takes shots made by the Kling video backend, by the id it kept
beside them (`kling_video_id` in the file's meta), and a shot made otherwise is a RenderError.
A shot's later line is synced onto the video its earlier line made, by that video's id.

The line goes inline (`audio_type` "file", `audio_file` in base64): a mono WAV the length of
the shot, the voice at its offset in it (`clips.place_line`). The task is polled
(`/v1/videos/lip-sync/{task_id}`) until it succeeds; its video is downloaded and conformed to
the shot's length. Prices come from `[production.prices.lip_sync]`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from writersroom.tools.base import LipSyncRequest, MediaResult
from writersroom.tools.cache import sidecar
from writersroom.tools.clips import conform_video, download, inline, place_line
from writersroom.tools.kling import Kling, own
from writersroom.tools.lipsync import AUDIO_SUFFIXES, VIDEO_SUFFIXES
from writersroom.tools.media import RenderError, probe
from writersroom.tools.safety import existing

SUBMIT = "/v1/videos/lip-sync"


class KlingLipSync(Kling):
    def __init__(self, **settings: Any) -> None:
        super().__init__("lip-sync", **own("lip_sync", settings))

    def sync(self, request: LipSyncRequest, root: Path, out: Path) -> MediaResult:
        video = existing(root, request.video, VIDEO_SUFFIXES)
        audio = existing(root, request.audio, AUDIO_SUFFIXES)
        video_id = sidecar(video).get("kling_video_id")
        if not video_id:
            raise RenderError(
                f"{self.client.label}: {request.video} was not made by Kling (no Kling video id "
                "is kept beside it), and Kling lip-syncs only the videos it made: use "
                'video = "kling" in [production], or another lip_sync backend'
            )
        shot = probe(video)["duration"]
        with tempfile.TemporaryDirectory(prefix="wr-kling-lipsync-") as scratch:
            speech = Path(scratch) / "speech.wav"
            place_line(audio, request.offset_seconds, shot, speech)
            line = {"audio_type": "file", "audio_file": inline(speech)}
            body = {"input": {"video_id": video_id, "mode": "audio2video", **line}}
            task_id = self.start(SUBMIT, body)
            done = self.finish(lambda: self.task(f"{SUBMIT}/{task_id}", "videos"), task_id)
            clip = Path(scratch) / "synced.mp4"
            download(done.url, clip, self.download_seconds)
            conform_video(clip, out, shot)
        return MediaResult(
            path=str(out),
            duration_seconds=probe(out)["duration"],
            meta={"task_id": task_id, "billed_seconds": done.billed_seconds, **done.meta},
        )
