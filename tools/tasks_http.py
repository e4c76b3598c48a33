"""What the backends on HTTP providers (Kling, Vidu) share: a key read when a call is made, JSON
requests that wait and try again on 429 and 5xx answers, polling a task to its end
(`TaskBackend`), and the clip a video task made conformed to the shot (`TaskVideo`).

Each backend says how its answers read (`poll`): a task's state, its result URL and, when it
failed, the provider's reason. Submitting and collecting are separate steps, so that the
render cache can keep a task's id in between (`RemoteVideoBackend`).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from writersroom.errors import ConfigError
from writersroom.tools.base import MediaResult, VideoRequest
from writersroom.tools.clips import conform_video, download
from writersroom.tools.media import RenderError, probe

RETRIED = {429, 500, 502, 503, 504}


class Busy(RenderError):
    """An answer worth trying again: rate-limited (429) or a server error (5xx)."""


@dataclass
class Task:
    """A provider task as one poll read it."""

    state: str  # "running", "succeeded" or "failed"
    url: str = ""
    reason: str = ""
    billed_seconds: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # kept in the result's meta


def env_key(value: str | None, variable: str, backend: str) -> str:
    """A key from the backend's options or the environment; a missing one is a ConfigError."""
    key = value or os.environ.get(variable, "").strip()
    if not key:
        raise ConfigError(
            f"no API key for the {backend} backend: set {variable} "
            "or its option in [production.options] in writersroom.toml"
        )
    return key


class TaskClient:
    """JSON over HTTP to one provider, its busy answers tried again with backoff."""

    def __init__(
        self,
        label: str,
        base_url: str,
        headers: Callable[[], dict[str, str]],
        reason: Callable[[dict[str, Any]], str],
        *,
        timeout: float = 60,
        attempts: int = 4,
        backoff: float = 2.0,
    ) -> None:
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.reason = reason  # the provider's words for an error answer
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, Busy)),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=30),
            reraise=True,
        )
        return retrying(self._once, method, path, body)

    def _once(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            response = requests.request(
                method, url, json=body, headers=self.headers(), timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise RenderError(f"{self.label}: cannot reach {url}: {type(exc).__name__}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200:
            words = self.reason(answer) if isinstance(answer, dict) else ""
            problem = f"{self.label}: HTTP {response.status_code} {words or response.reason}"
            raise (Busy if response.status_code in RETRIED else RenderError)(problem)
        if not isinstance(answer, dict):
            raise RenderError(f"{self.label}: answered with something not a JSON object")
        return answer

    def wait(
        self, poll: Callable[[], Task], task_id: str, wait_seconds: float, every: float
    ) -> Task:
        """Poll a task until it succeeds (returned) or fails or outlasts `wait_seconds`
        (RenderErrors with the provider's reason)."""
        deadline = time.monotonic() + wait_seconds
        while True:
            task = poll()
            if task.state == "succeeded":
                return task
            if task.state == "failed":
                raise RenderError(f"{self.label}: task {task_id} failed: {task.reason}")
            if time.monotonic() > deadline:
                raise RenderError(f"{self.label}: task {task_id} did not end in {wait_seconds} s")
            time.sleep(every)


class TaskBackend:
    """A backend on an HTTP provider's tasks: its client, which tries busy answers again, and
    its time limits. A provider's backend gives its `headers` and its error answers' `reason`;
    `label` names it in errors."""

    name = "task-backend"
    concurrency = 4  # tasks at once, unless [production.concurrency] says otherwise
    provider = True  # its jobs wait on the provider: polled from this process (tools/executor.py)

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        wait_seconds: float = 1800,
        poll_seconds: float = 5,
        download_seconds: float = 120,
        retry_seconds: float = 2.0,
    ) -> None:
        self.wait_seconds, self.poll_seconds = wait_seconds, poll_seconds
        self.download_seconds = download_seconds
        self.client = TaskClient(
            f"{self.name} ({label})", base_url, self.headers, self.reason, backoff=retry_seconds
        )

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def reason(self, answer: dict[str, Any]) -> str:
        raise NotImplementedError

    def finish(self, poll: Callable[[], Task], task_id: str) -> Task:
        """Poll a task until it succeeds, within `wait_seconds` (see `TaskClient.wait`)."""
        return self.client.wait(poll, task_id, self.wait_seconds, self.poll_seconds)


class TaskVideo(TaskBackend):
    """generate_video as an HTTP provider's task: `submit` starts it, `collect` polls it
    (`poll`), downloads its clip and conforms it to the shot. A provider's backend gives its
    `headers`, its error answers' `reason`, `submit` and `poll`; cost is per call plus per
    second of the clip length asked for (the shortest of `durations` covering the shot)."""

    name = "task-video"

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        durations: tuple[int, ...] | list[int] = (5,),
        price_per_call: float = 0.0,
        price_per_second: float = 0.0,
        **settings: Any,
    ) -> None:
        self.model = model
        self.durations = sorted(durations)
        self.price_per_call, self.price_per_second = price_per_call, price_per_second
        super().__init__(model, base_url, **settings)

    def submit(self, request: VideoRequest) -> str:
        raise NotImplementedError

    def poll(self, task_id: str, request: VideoRequest) -> Task:
        raise NotImplementedError

    def clip_seconds(self, duration: float) -> int:
        return next((d for d in self.durations if d >= duration), self.durations[-1])

    def estimate(self, seconds: float, text: str = "") -> float:
        return self.price_per_call + self.price_per_second * self.clip_seconds(seconds)

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        return self.collect(self.submit(request), request, out)

    def collect(self, task_id: str, request: VideoRequest, out: Path) -> MediaResult:
        done = self.finish(lambda: self.poll(task_id, request), task_id)
        billed = done.billed_seconds or self.clip_seconds(request.duration_seconds)
        with tempfile.TemporaryDirectory(prefix=f"wr-{self.name}-") as scratch:
            clip = Path(scratch) / "clip.mp4"
            download(done.url, clip, self.download_seconds)
            conform_video(clip, out, request.duration_seconds)
        return MediaResult(
            path=str(out),
            duration_seconds=probe(out)["duration"],
            cost=self.price_per_call + self.price_per_second * billed,
            meta={"model": self.model, "task_id": task_id, "billed_seconds": billed, **done.meta},
        )
