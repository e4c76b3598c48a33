"""What the HTTP video providers (Kling, Vidu) share: a key read when a call is made, JSON
requests that wait and try again on 429 and 5xx answers, and polling a task to its end.

Each backend says how its answers read (`task_of`): a task's state, its result URL and, when
it failed, the provider's reason. Submitting and collecting are separate steps, so that the
render cache can keep a task's id in between (`RemoteVideoBackend`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from writersroom.errors import ConfigError
from writersroom.tools.media import RenderError

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
