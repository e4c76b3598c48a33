"""generate_video on Vidu (Shengshu's video models), through its HTTP API.

Requests carry `Authorization: Token <key>`. A shot is a text-to-video task at 9:16, or a
reference-to-video task with its characters' reference sheets (portrait and figure) when it
has characters: submitted, then polled (`/tasks/{id}/creations`) until its state is success;
its clip is downloaded and conformed to the shot. A 429 or 5xx answer is tried again with
backoff; a task that fails (a moderation refusal among them) keeps Vidu's error code as its
reason.
"""

from __future__ import annotations

from typing import Any

from writersroom.tools.base import VideoRequest
from writersroom.tools.clips import data_uri, references, shot_description, shot_seed
from writersroom.tools.tasks_http import Task, TaskVideo, env_key

RUNNING = {"created", "queueing", "processing"}


class ViduVideo(TaskVideo):
    name = "vidu"

    def __init__(
        self,
        model: str = "viduq1",
        *,
        reference_model: str = "vidu2.0",
        api_key: str | None = None,
        base_url: str = "https://api.vidu.com",
        resolution: str = "1080p",
        **settings: Any,
    ) -> None:
        self.reference_model, self.resolution = reference_model, resolution
        self.api_key = api_key
        super().__init__(model, base_url, **settings)

    def headers(self) -> dict[str, str]:
        key = env_key(self.api_key, "VIDU_API_KEY", self.name)
        return {"Authorization": f"Token {key}", "Content-Type": "application/json"}

    def reason(self, answer: dict[str, Any]) -> str:
        words = [str(answer.get(k) or "") for k in ("code", "reason", "message")]
        return ": ".join(w for w in words if w)

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

    def poll(self, task_id: str, request: VideoRequest) -> Task:
        answer = self.client.call("GET", f"/ent/v2/tasks/{task_id}/creations")
        state = answer.get("state")
        if state in RUNNING:
            return Task("running")
        if state != "success":
            return Task("failed", reason=answer.get("err_code") or f"state {state}")
        return Task("succeeded", answer["creations"][0]["url"])
