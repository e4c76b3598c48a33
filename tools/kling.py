"""generate_video on Kling (Kuaishou's video models), through its HTTP API.

Every request carries a JWT signed (HS256) from the access key and the secret key, valid for
30 minutes. A shot is a text-to-video task at 9:16, or a multi-image-to-video task with the
portraits of its characters' reference sheets (up to four) when it has characters: submitted,
then polled until it succeeds; its clip is downloaded and conformed to the shot. A 429 (too
many requests or tasks at once) or a 5xx answer is tried again with backoff; a content-policy
refusal is not.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from writersroom.tools.base import VideoRequest
from writersroom.tools.clips import inline, references, shot_description, shot_seed
from writersroom.tools.tasks_http import Task, TaskVideo, env_key

STATES = {"submitted": "running", "processing": "running", "succeed": "succeeded"}


class KlingVideo(TaskVideo):
    name = "kling"

    def __init__(
        self,
        model: str = "kling-v1-6",
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        base_url: str = "https://api-singapore.klingai.com",
        mode: str = "std",
        durations: tuple[int, ...] | list[int] = (5, 10),
        **settings: Any,
    ) -> None:
        self.mode = mode
        self.access_key, self.secret_key = access_key, secret_key
        super().__init__(model, base_url, durations=durations, **settings)

    def token(self) -> str:
        """A JWT of the access key, signed with the secret key, valid for 30 minutes."""
        access = env_key(self.access_key, "KLING_ACCESS_KEY", self.name)
        secret = env_key(self.secret_key, "KLING_SECRET_KEY", self.name)
        now = int(time.time())
        claims = {"iss": access, "exp": now + 1800, "nbf": now - 5}
        return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}

    def reason(self, answer: dict[str, Any]) -> str:
        code, message = answer.get("code"), answer.get("message") or ""
        refused = " (refused by Kling's content policy)" if code in (1300, 1301) else ""
        return f"code {code}: {message}{refused}" if code is not None else message

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
        if images := references(request):
            body["image_list"] = [{"image": inline(image)} for image in images]
        answer = self.client.call("POST", self.endpoint(request), body)
        return str(answer["data"]["task_id"])

    def poll(self, task_id: str, request: VideoRequest) -> Task:
        data = self.client.call("GET", f"{self.endpoint(request)}/{task_id}")["data"]
        state = STATES.get(data.get("task_status"), "failed")
        if state != "succeeded":
            return Task(state, reason=data.get("task_status_msg") or str(data.get("task_status")))
        video = data["task_result"]["videos"][0]
        return Task(state, video["url"], billed_seconds=float(video.get("duration") or 0))
