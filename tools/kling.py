"""generate_video on Kling (Kuaishou's video models), through its HTTP API.

Every request carries a JWT signed (HS256) from the access key and the secret key, valid for
30 minutes. A shot is a text-to-video task at 9:16, or a multi-image-to-video task with the
portraits of its characters' reference sheets (up to four) when it has characters: submitted,
then polled until it succeeds; its clip is downloaded and conformed to the shot. A 429 (too
many requests or tasks at once) or a 5xx answer is tried again with backoff; a content-policy
refusal is not.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import jwt

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

STATES = {"submitted": "running", "processing": "running", "succeed": "succeeded"}


def _reason(answer: dict[str, Any]) -> str:
    code, message = answer.get("code"), answer.get("message") or ""
    refused = " (refused by Kling's content policy)" if code in (1300, 1301) else ""
    return f"code {code}: {message}{refused}" if code is not None else message


class KlingVideo:
    name = "kling"
    concurrency = 4  # tasks at once, unless [production.concurrency] says otherwise

    def __init__(
        self,
        model: str = "kling-v1-6",
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        base_url: str = "https://api-singapore.klingai.com",
        mode: str = "std",
        durations: tuple[int, ...] | list[int] = (5, 10),
        price_per_call: float = 0.0,
        price_per_second: float = 0.0,
        wait_seconds: float = 1800,
        poll_seconds: float = 5,
        download_seconds: float = 120,
        retry_seconds: float = 2.0,
    ) -> None:
        self.model, self.mode = model, mode
        self.access_key, self.secret_key = access_key, secret_key
        self.durations = sorted(durations)
        self.price_per_call, self.price_per_second = price_per_call, price_per_second
        self.wait_seconds, self.poll_seconds = wait_seconds, poll_seconds
        self.download_seconds = download_seconds
        self.client = TaskClient(
            f"kling ({model})", base_url, self._headers, _reason, backoff=retry_seconds
        )

    def token(self) -> str:
        """A JWT of the access key, signed with the secret key, valid for 30 minutes."""
        access = env_key(self.access_key, "KLING_ACCESS_KEY", self.name)
        secret = env_key(self.secret_key, "KLING_SECRET_KEY", self.name)
        now = int(time.time())
        claims = {"iss": access, "exp": now + 1800, "nbf": now - 5}
        return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}

    def clip_seconds(self, duration: float) -> int:
        return next((d for d in self.durations if d >= duration), self.durations[-1])

    def estimate(self, seconds: float, text: str = "") -> float:
        return self.price_per_call + self.price_per_second * self.clip_seconds(seconds)

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        return self.collect(self.submit(request), request, out)

    @staticmethod
    def endpoint(request: VideoRequest) -> str:
        return "/v1/videos/multi-image2video" if references(request) else "/v1/videos/text2video"

    def submit(self, request: VideoRequest) -> str:
        body: dict[str, Any] = {
            "model_name": self.model,
            "prompt": shot_description(request),
            "mode": self.mode,
            "aspect_ratio": "9:16",
            "duration": str(self.clip_seconds(request.duration_seconds)),
            "external_task_id": f"shot-{request.shot}-{shot_seed(request)}",
        }
        if images := references(request):  # raw base64, as Kling takes an image inline
            body["image_list"] = [{"image": data_uri(i).split(",", 1)[1]} for i in images]
        answer = self.client.call("POST", self.endpoint(request), body)
        return str(answer["data"]["task_id"])

    def _poll(self, task_id: str, request: VideoRequest) -> Task:
        data = self.client.call("GET", f"{self.endpoint(request)}/{task_id}")["data"]
        state = STATES.get(data.get("task_status"), "failed")
        if state != "succeeded":
            return Task(state, reason=data.get("task_status_msg") or str(data.get("task_status")))
        video = data["task_result"]["videos"][0]
        return Task(state, video["url"], billed_seconds=float(video.get("duration") or 0))

    def collect(self, task_id: str, request: VideoRequest, out: Path) -> MediaResult:
        done = self.client.wait(
            lambda: self._poll(task_id, request), task_id, self.wait_seconds, self.poll_seconds
        )
        billed = done.billed_seconds or self.clip_seconds(request.duration_seconds)
        with tempfile.TemporaryDirectory(prefix="wr-kling-") as scratch:
            clip = Path(scratch) / "clip.mp4"
            download(done.url, clip, self.download_seconds)
            conform_video(clip, out, request.duration_seconds)
        return MediaResult(
            path=str(out),
            duration_seconds=probe(out)["duration"],
            cost=self.price_per_call + self.price_per_second * billed,
            meta={"model": self.model, "task_id": task_id, "billed_seconds": billed},
        )
