"""generate_video on Vidu (Shengshu's video models), through its HTTP API.

Requests carry `Authorization: Token <key>`. A shot is a text-to-video task at 9:16, or a
reference-to-video task with its characters' reference sheets (portrait and figure) when it
has characters: submitted, then polled (`/tasks/{id}/creations`) until its state is success;
its clip is downloaded and conformed to the shot. A 429 or 5xx answer is tried again with
backoff; a task that fails (a moderation refusal among them) keeps Vidu's error code as its
reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from writersroom.tools.base import MediaResult, VideoRequest
from writersroom.tools.clips import (
    conform_video,
    data_uri,
    download,
    references,
    shot_description,
    shot_seed,
)
from writersroom.tools.media import probe
from writersroom.tools.tasks_http import Task, TaskClient, env_key

RUNNING = {"created", "queueing", "processing"}


def _reason(answer: dict[str, Any]) -> str:
    words = [str(answer.get(k) or "") for k in ("code", "reason", "message")]
    return ": ".join(w for w in words if w)


class ViduVideo:
    name = "vidu"
    concurrency = 4  # tasks at once, unless [production.concurrency] says otherwise

    def __init__(
        self,
        model: str = "viduq1",
        *,
        reference_model: str = "vidu2.0",
        api_key: str | None = None,
        base_url: str = "https://api.vidu.com",
        resolution: str = "1080p",
        durations: tuple[int, ...] | list[int] = (5,),
        price_per_call: float = 0.0,
        price_per_second: float = 0.0,
        wait_seconds: float = 1800,
        poll_seconds: float = 5,
        download_seconds: float = 120,
        retry_seconds: float = 2.0,
    ) -> None:
        self.model, self.reference_model, self.resolution = model, reference_model, resolution
        self.api_key = api_key
        self.durations = sorted(durations)
        self.price_per_call, self.price_per_second = price_per_call, price_per_second
        self.wait_seconds, self.poll_seconds = wait_seconds, poll_seconds
        self.download_seconds = download_seconds
        self.client = TaskClient(
            f"vidu ({model})", base_url, self._headers, _reason, backoff=retry_seconds
        )

    def _headers(self) -> dict[str, str]:
        key = env_key(self.api_key, "VIDU_API_KEY", self.name)
        return {"Authorization": f"Token {key}", "Content-Type": "application/json"}

    def clip_seconds(self, duration: float) -> int:
        return next((d for d in self.durations if d >= duration), self.durations[-1])

    def estimate(self, seconds: float, text: str = "") -> float:
        return self.price_per_call + self.price_per_second * self.clip_seconds(seconds)

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        return self.collect(self.submit(request), request, out)

    def submit(self, request: VideoRequest) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": shot_description(request),
            "duration": self.clip_seconds(request.duration_seconds),
            "seed": shot_seed(request),
            "aspect_ratio": "9:16",
            "resolution": self.resolution,
        }
        images = references(request, "portrait") + references(request, "figure")
        if not images:
            return str(self.client.call("POST", "/ent/v2/text2video", body)["task_id"])
        body |= {"model": self.reference_model, "images": [data_uri(i) for i in images[:7]]}
        return str(self.client.call("POST", "/ent/v2/reference2video", body)["task_id"])

    def _poll(self, task_id: str) -> Task:
        answer = self.client.call("GET", f"/ent/v2/tasks/{task_id}/creations")
        state = answer.get("state")
        if state in RUNNING:
            return Task("running")
        if state != "success":
            return Task("failed", reason=answer.get("err_code") or f"state {state}")
        return Task("succeeded", answer["creations"][0]["url"])

    def collect(self, task_id: str, request: VideoRequest, out: Path) -> MediaResult:
        done = self.client.wait(
            lambda: self._poll(task_id), task_id, self.wait_seconds, self.poll_seconds
        )
        billed = self.clip_seconds(request.duration_seconds)
        with tempfile.TemporaryDirectory(prefix="wr-vidu-") as scratch:
            clip = Path(scratch) / "clip.mp4"
            download(done.url, clip, self.download_seconds)
            conform_video(clip, out, request.duration_seconds)
        return MediaResult(
            path=str(out),
            duration_seconds=probe(out)["duration"],
            cost=self.price_per_call + self.price_per_second * billed,
            meta={"model": self.model, "task_id": task_id, "billed_seconds": billed},
        )
