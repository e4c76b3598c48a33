"""DashScope (Alibaba Cloud Model Studio) backends: Wan video, CosyVoice speech, VideoRetalk
(and Wan pictures for reference sheets, in `dashscope_image`).

- `WanVideo` (generate_video): a Wan text-, reference- or image-to-video task through the SDK's
  `VideoSynthesis` (submit, then poll `GET /tasks/{id}`); the clip is downloaded and conformed
  to the shot.
- `CosyVoice` (synthesize_voice): the CosyVoice HTTP speech API streamed over SSE with word
  timestamps (`word_timestamp_enabled`); the audio is downloaded from the final frame's URL.
- `VideoRetalk` (lip_sync): the shot's video and the line's audio are uploaded to DashScope's
  temporary storage (oss:// URLs) and a `videoretalk` task re-renders the speaker's mouth.

Every backend takes `api_key` or reads the variable named by `api_key_env` (default
DASHSCOPE_API_KEY) when it is called, and `base_url`, the DashScope HTTP API base (default the
SDK's, Beijing: `https://dashscope.aliyuncs.com/api/v1`). Prices come from the settings: a call
costs `price_per_call` + `price_per_second` x the seconds billed (+ `price_per_character` for
speech).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import requests
from dashscope.aigc.video_synthesis import VideoSynthesis
from dashscope.audio.http_tts.http_speech_synthesizer import HttpSpeechSynthesizer
from dashscope.client.base_api import BaseAsyncApi
from dashscope.common.error import DashScopeException
from dashscope.utils.oss_utils import check_and_upload_local

from writersroom.errors import ConfigError
from writersroom.tools.base import (
    LipSyncRequest,
    MediaResult,
    VideoRequest,
    VoiceRequest,
)
from writersroom.tools.clips import (
    SUBJECT,
    SheetsAs,
    conform_video,
    download,
    place_line,
    references,
    shot_description,
    shot_seed,
)
from writersroom.tools.media import RenderError, probe
from writersroom.tools.safety import existing

AUDIO = (".wav", ".mp3", ".m4a", ".aac", ".flac")


class DashScopeBackend:
    """Settings shared by the DashScope backends: model, key, endpoint, prices, time limits."""

    name = "dashscope"
    concurrency = 4  # tasks at once, unless [production.concurrency] says otherwise
    provider = True  # its jobs wait on DashScope: polled from this process (tools/executor.py)

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        api_key_env: str = "DASHSCOPE_API_KEY",
        base_url: str | None = None,
        price_per_call: float = 0.0,
        price_per_second: float = 0.0,
        wait_seconds: float = 900,
        download_seconds: float = 120,
    ) -> None:
        self.model = model
        self.api_key = api_key
        self.api_key_env = api_key_env
        self.base_url = base_url
        self.price_per_call = price_per_call
        self.price_per_second = price_per_second
        self.wait_seconds = wait_seconds
        self.download_seconds = download_seconds

    @property
    def label(self) -> str:
        return f"{self.name} ({self.model})"

    def key(self) -> str:
        """The API key, read when a call is made; a missing key is a ConfigError."""
        if self.api_key:
            return self.api_key
        key = os.environ.get(self.api_key_env, "").strip()
        if not key:
            raise ConfigError(
                f"no API key for the {self.name} backend: set {self.api_key_env} "
                "or api_key in its [production] settings in writersroom.toml"
            )
        return key

    def cost(self, seconds: float) -> float:
        return self.price_per_call + self.price_per_second * seconds

    def estimate(self, seconds: float, text: str = "") -> float:
        """What a call making `seconds` of output (saying `text`) will be billed."""
        return self.cost(seconds)

    @contextmanager
    def calling(self) -> Iterator[None]:
        """Turn the SDK's and the network's exceptions into one-line RenderErrors."""
        try:
            yield
        except requests.Timeout as exc:
            raise RenderError(f"{self.label}: DashScope did not answer in time") from exc
        except requests.RequestException as exc:
            raise RenderError(
                f"{self.label}: cannot reach DashScope: {type(exc).__name__}"
            ) from exc
        except DashScopeException as exc:
            raise RenderError(f"{self.label}: {_one_line(exc)}") from exc

    def checked(self, response: Any) -> dict[str, Any]:
        """The output of an answer, or a RenderError for an HTTP error answer."""
        if response.status_code != HTTPStatus.OK:
            hint = f" (check {self.api_key_env})" if response.status_code == 401 else ""
            raise RenderError(
                f"{self.label}: DashScope answered HTTP {response.status_code} "
                f"{response.code}: {_one_line(response.message)}{hint}"
            )
        return dict(response.output or {})

    def finished(self, response: Any) -> dict[str, Any]:
        """The output of a polled task that SUCCEEDED; a failed, cancelled or timed-out task
        is a RenderError with DashScope's code and message."""
        output = self.checked(response)
        status = output.get("task_status")
        if status != "SUCCEEDED":
            raise RenderError(
                f"{self.label}: task {output.get('task_id', '?')} {str(status).lower()}: "
                + reason(output)
            )
        return output

    def submitted(self, response: Any) -> Any:
        """A task-creation answer, checked to carry a task id."""
        if not self.checked(response).get("task_id"):
            raise RenderError(f"{self.label}: DashScope created no task")
        return response

    def waited(
        self, api: type[BaseAsyncApi], task: Any, key: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Poll a task (its id or creation answer) through the SDK's `api` until it ends: the
        output and usage of a task that SUCCEEDED; any other end is a RenderError (`finished`),
        and so is outlasting `wait_seconds`."""
        with self.calling():
            done = api.wait(
                task, api_key=key, base_address=self.base_url, wait_timeout=int(self.wait_seconds)
            )
        return self.finished(done), dict(done.usage or {})


class WanVideo(SheetsAs, DashScopeBackend):
    """generate_video on Wan: text-to-video at 9:16 and `size`, the shot's looks in the prompt.
    A shot whose characters have reference sheets is made, by `references` (`SheetsAs`), with
    their portraits by the reference-to-video model (`reference_model`, at `size`), or from its
    first character's full figure by the image-to-video model (`first_frame_model`, at the
    `resolution` tier; the clip keeps the figure's 9:16 shape and is conformed to the shot).

    `durations` lists the clip lengths the model accepts (Wan 2.1: 5 s; 2.5: 5 or 10 s); the
    shortest one covering the shot is asked for and the clip is conformed to the shot.
    """

    name = "dashscope-wan"

    def __init__(
        self,
        model: str = "wan2.1-t2v-turbo",
        *,
        references: str = SUBJECT,
        reference_model: str = "wan2.6-r2v",
        first_frame_model: str = "wan2.6-i2v",
        size: str = "720*1280",
        resolution: str = "720P",
        durations: tuple[int, ...] | list[int] = (5,),
        prompt_extend: bool = False,
        **settings: Any,
    ) -> None:
        super().__init__(model, **settings)
        self.take_sheets_as(references)
        self.reference_model = reference_model
        self.first_frame_model = first_frame_model
        self.size = size
        self.resolution = resolution
        self.durations = sorted(durations)
        self.prompt_extend = prompt_extend

    def clip_seconds(self, duration: float) -> int:
        return next((d for d in self.durations if d >= duration), self.durations[-1])

    def estimate(self, seconds: float, text: str = "") -> float:
        return self.cost(self.clip_seconds(seconds))  # billed for the clip asked for

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        return self.collect(self.submit(request), request, out)

    def submit(self, request: VideoRequest) -> str:
        """Start the shot's task (image- or reference-to-video, the sheets uploaded to
        DashScope's temporary storage, when it has characters with sheets); its id."""
        key, seconds = self.key(), self.clip_seconds(request.duration_seconds)
        chosen: dict[str, Any] = {"model": self.model, "size": self.size}
        resolve = {"X-DashScope-OssResourceResolve": "enable"}  # the oss:// URLs read
        with self.calling():
            if start := self.starts_from(request):
                (url,) = self.uploaded([start], self.first_frame_model, key)
                chosen = {
                    "model": self.first_frame_model,
                    "img_url": url,
                    "resolution": self.resolution,
                    "headers": resolve,
                }
            elif images := references(request):
                chosen |= {
                    "model": self.reference_model,
                    "reference_urls": self.uploaded(images, self.reference_model, key),
                    "headers": resolve,
                }
            task = self.submitted(
                VideoSynthesis.async_call(
                    **chosen,
                    prompt=shot_description(request),
                    duration=seconds,
                    seed=shot_seed(request),
                    prompt_extend=self.prompt_extend,
                    extend_prompt=self.prompt_extend,
                    api_key=key,
                    base_address=self.base_url,
                )
            )
        return str(task.output.task_id)

    def uploaded(self, images: list[Path], model: str, key: str) -> list[str]:
        """Upload pictures to DashScope's temporary storage for `model`; their oss:// URLs."""
        urls: list[str] = []
        certificate: Any = None  # the upload policy, fetched once
        for image in images:
            _, url, certificate = check_and_upload_local(
                model, str(image), key, certificate, base_address=self.base_url
            )
            urls.append(url)
        return urls

    def collect(self, task_id: str, request: VideoRequest, out: Path) -> MediaResult:
        """Poll the task until it ends; its clip, conformed to the shot, at `out`."""
        seconds = self.clip_seconds(request.duration_seconds)
        output, usage = self.waited(VideoSynthesis, task_id, self.key())
        billed = float(usage.get("video_duration") or seconds)
        with tempfile.TemporaryDirectory(prefix="wr-wan-") as scratch:
            clip = Path(scratch) / "clip.mp4"
            download(output["video_url"], clip, self.download_seconds)
            conform_video(clip, out, request.duration_seconds)
        return MediaResult(
            path=str(out),
            duration_seconds=probe(out)["duration"],
            cost=self.cost(billed),
            meta={"model": self.model, "task_id": output["task_id"], "billed_seconds": billed},
        )


class CosyVoice(DashScopeBackend):
    """synthesize_voice on CosyVoice: `request.voice_id` is a CosyVoice voice (e.g.
    "longxiaochun_v2"); word timings (seconds) go into the result's meta."""

    name = "dashscope-cosyvoice"

    def __init__(
        self,
        model: str = "cosyvoice-v2",
        *,
        sample_rate: int = 24000,
        price_per_character: float = 0.0,
        **settings: Any,
    ) -> None:
        super().__init__(model, **settings)
        self.sample_rate = sample_rate
        self.price_per_character = price_per_character

    def estimate(self, seconds: float, text: str = "") -> float:
        return self.cost(seconds) + self.price_per_character * len(text)

    def speak(self, request: VoiceRequest, out: Path) -> MediaResult:
        key = self.key()
        sentences: dict[int, dict[str, Any]] = {}
        audio_url = ""
        with self.calling():
            try:
                events = HttpSpeechSynthesizer.call(
                    model=self.model,
                    text=request.text,
                    voice=request.voice_id,
                    audio_format="wav",
                    sample_rate=self.sample_rate,
                    stream=True,
                    api_key=key,
                    url=self.base_url,
                    word_timestamp_enabled=True,
                )
                assert isinstance(events, Iterator)  # streamed
                for part in events:
                    # Each event repeats the sentences so far; the last copy of one is complete.
                    sentences.update({s.get("index", 0): s for s in part.sentences})
                    audio_url = part.audio_url or audio_url
            except RuntimeError as exc:  # how the SDK reports an error event in the stream
                raise RenderError(f"{self.label}: {_one_line(exc)}") from exc
        if not audio_url:
            raise RenderError(f"{self.label}: the speech stream ended without an audio URL")
        download(audio_url, out, self.download_seconds)
        duration = probe(out)["duration"]
        words = [w for _, s in sorted(sentences.items()) for w in s.get("words") or []]
        return MediaResult(
            path=str(out),
            duration_seconds=duration,
            cost=self.cost(duration) + self.price_per_character * len(request.text),
            meta={
                "model": self.model,
                "voice": request.voice_id,
                "words": [_timed(w) for w in words],
                "phonemes": [_timed(p) for w in words for p in w.get("phonemes") or []],
            },
        )


class VideoRetalk(DashScopeBackend):
    """lip_sync on VideoRetalk: the line (delayed by its offset, padded to the shot) is
    lip-synced onto the shot's video; the result is conformed back to the shot's length."""

    name = "dashscope-retalk"

    def __init__(
        self, model: str = "videoretalk", *, video_extension: bool = False, **settings: Any
    ) -> None:
        super().__init__(model, **settings)
        self.video_extension = video_extension

    def sync(self, request: LipSyncRequest, root: Path, out: Path) -> MediaResult:
        key = self.key()
        video = existing(root, request.video, (".mp4",))
        audio = existing(root, request.audio, AUDIO)
        shot = probe(video)["duration"]
        with tempfile.TemporaryDirectory(prefix="wr-retalk-") as scratch:
            speech = Path(scratch) / "speech.wav"
            place_line(audio, request.offset_seconds, shot, speech)
            with self.calling():
                _, video_url, certificate = check_and_upload_local(
                    self.model, str(video), key, base_address=self.base_url
                )
                _, audio_url, _ = check_and_upload_local(
                    self.model, str(speech), key, certificate, base_address=self.base_url
                )
                task = self.submitted(
                    BaseAsyncApi.async_call(
                        model=self.model,
                        input={"video_url": video_url, "audio_url": audio_url},
                        task_group="aigc",
                        task="image2video",
                        function="video-synthesis",
                        api_key=key,
                        base_address=self.base_url,
                        headers={"X-DashScope-OssResourceResolve": "enable"},
                        video_extension=self.video_extension,
                    )
                )
            output, usage = self.waited(BaseAsyncApi, task, key)
            billed = float(usage.get("video_duration") or shot)
            clip = Path(scratch) / "retalk.mp4"
            download(output["video_url"], clip, self.download_seconds)
            conform_video(clip, out, shot)
        return MediaResult(
            path=str(out),
            duration_seconds=probe(out)["duration"],
            cost=self.cost(billed),
            meta={"model": self.model, "task_id": output["task_id"], "billed_seconds": billed},
        )


def _timed(item: dict[str, Any]) -> dict[str, Any]:
    """A DashScope word or phoneme timestamp (milliseconds) as {text, start, end} in seconds."""
    return {
        "text": item.get("text", ""),
        "start": item.get("begin_time", 0) / 1000,
        "end": item.get("end_time", 0) / 1000,
    }


def reason(answer: dict[str, Any]) -> str:
    """DashScope's code and message in an answer (a task's output, one picture's result)."""
    words = [str(answer.get("code") or ""), _one_line(answer.get("message"))]
    return ": ".join(w for w in words if w) or "no reason given"


def _one_line(text: Any, limit: int = 200) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
