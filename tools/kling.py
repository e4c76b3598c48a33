"""Kling (Kuaishou's video and image models) through its HTTP API: what every Kling backend
shares (`Kling`), and generate_video on it (`KlingVideo`).

Every request carries a JWT signed (HS256) from the access key and the secret key, valid for
30 minutes. Every Kling job is a task: submitted (`data.task_id`), then polled until its
`task_status` is `succeed` (its results in `task_result`) or `failed` (Kling's reason in
`task_status_msg`). A 429 (too many requests or tasks at once) or a 5xx answer is tried again
with backoff; a content-policy refusal is not.

A shot is a text-to-video task at 9:16 or, when its characters have reference sheets, a
multi-image-to-video task with their portraits (up to four) or an image-to-video task from the
first one's full figure (`references`); its clip is downloaded and conformed to the shot, and the
Kling id of the video is kept in the result's meta (`kling_video_id`), by which Kling's lip-sync
takes it (`kling_lipsync`).

`[production.options.kling]` is one table for every Kling backend (video, lip_sync, image):
each is built from all of it and leaves the options that are another's (`OWN`).
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from writersroom.tools.base import VideoRequest
from writersroom.tools.clips import (
    SUBJECT,
    SheetsAs,
    inline,
    references,
    shot_description,
    shot_seed,
)
from writersroom.tools.tasks_http import Task, TaskBackend, TaskVideo, env_key

BASE_URL = "https://api-singapore.klingai.com"
STATES = {"submitted": "running", "processing": "running", "succeed": "succeeded"}
OWN = {  # the options of the shared table that only one kind of Kling backend takes
    "video": {"model", "mode", "references", "durations", "price_per_call", "price_per_second"},
    "image": {"image_model", "negative_prompt"},
}


def own(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options of the shared Kling table less those that are other kinds' own."""
    theirs = set().union(*(names for other, names in OWN.items() if other != kind))
    return {key: value for key, value in options.items() if key not in theirs}


class Kling(TaskBackend):
    """A Kling backend: its keys, the JWT they sign, Kling's error answers and its tasks."""

    name = "kling"

    def __init__(
        self,
        label: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        base_url: str = BASE_URL,
        **settings: Any,
    ) -> None:
        self.access_key, self.secret_key = access_key, secret_key
        super().__init__(label, base_url, **settings)

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

    def start(self, path: str, body: dict[str, Any]) -> str:
        """Submit a task; its id."""
        return str(self.client.call("POST", path, body)["data"]["task_id"])

    def task(self, path: str, results: str) -> Task:
        """A task as one poll of `path` reads it; when it succeeded, its first result (of
        `task_result[results]`): URL, seconds billed and Kling's id."""
        data = self.client.call("GET", path)["data"]
        state = STATES.get(data.get("task_status"), "failed")
        if state != "succeeded":
            return Task(state, reason=data.get("task_status_msg") or str(data.get("task_status")))
        made = data["task_result"][results][0]
        billed = float(made.get("duration") or 0)
        kept = {f"kling_{results[:-1]}_id": str(made["id"])} if made.get("id") else {}
        return Task(state, made["url"], billed_seconds=billed, meta=kept)


class KlingVideo(SheetsAs, Kling, TaskVideo):
    """generate_video on Kling: text-to-video at 9:16; a shot whose characters have reference
    sheets is made, by `references` (`SheetsAs`), by multi-image-to-video with their portraits
    (up to four), or by image-to-video from its first character's full figure (the clip keeps
    the figure's 9:16 shape and is conformed to the shot). Pictures go inline, in base64."""

    def __init__(
        self,
        model: str = "kling-v1-6",
        *,
        mode: str = "std",
        references: str = SUBJECT,
        durations: tuple[int, ...] | list[int] = (5, 10),
        **settings: Any,
    ) -> None:
        self.mode = mode
        self.take_sheets_as(references)
        super().__init__(model, durations=durations, **own("video", settings))

    def endpoint(self, request: VideoRequest) -> str:
        if self.starts_from(request):
            return "/v1/videos/image2video"
        return "/v1/videos/multi-image2video" if references(request) else "/v1/videos/text2video"

    def submit(self, request: VideoRequest) -> str:
        body: dict[str, Any] = {
            "model_name": self.model,
            "prompt": shot_description(request),
            "mode": self.mode,
            "duration": str(self.clip_seconds(request.duration_seconds)),
            "external_task_id": f"shot-{request.shot}-{shot_seed(request)}",
        }
        if start := self.starts_from(request):
            body["image"] = inline(start)  # the clip takes the picture's aspect ratio
        else:
            body["aspect_ratio"] = "9:16"
            if images := references(request):
                body["image_list"] = [{"image": inline(image)} for image in images]
        return self.start(self.endpoint(request), body)

    def poll(self, task_id: str, request: VideoRequest) -> Task:
        return self.task(f"{self.endpoint(request)}/{task_id}", "videos")
