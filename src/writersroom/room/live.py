"""Live progress on the terminal: a model's answer (tokens so far, tokens/s and time left),
and a render's jobs in flight."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from rich.console import Console
from rich.status import Status

from writersroom.tools.board import JobBoard


class TokenMeter(BaseCallbackHandler):
    """Shows one transient status line per answer while its tokens stream in.

    The time left is an upper bound: the answer's token budget at the current rate.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None
        self._started = 0.0
        self._first = 0.0
        self._tokens = 0
        self._budget = 0
        self._name = ""

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, **kwargs: Any) -> None:
        params = kwargs.get("invocation_params") or {}
        self._budget = int(params.get("max_tokens") or 0)
        self._name = str((kwargs.get("metadata") or {}).get("agent", ""))
        self._started, self._first, self._tokens = time.perf_counter(), 0.0, 0
        if self.console.is_terminal:
            self._status = self.console.status(f"{self._name}: reading the prompt…")
            self._status.start()

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        now = time.perf_counter()
        if not self._tokens:
            self._first = now
        self._tokens += 1
        if self._status is None or self._tokens % 4:
            return
        rate = (self._tokens - 1) / (now - self._first) if now > self._first else 0.0
        left = (
            f" · ≤{(self._budget - self._tokens) / rate:.0f} s left"
            if rate and self._budget
            else ""
        )
        self._status.update(
            f"{self._name}: {self._tokens} tokens · {rate:.1f} tokens/s · "
            f"{now - self._started:.0f} s{left}"
        )

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self._stop()

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


class RenderStatus:
    """A render's jobs (`JobBoard`) as one transient status line, while any is in flight."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def __call__(self, board: JobBoard) -> None:
        if not self.console.is_terminal:
            return
        if not board.flying:
            if self._status is not None:
                self._status.stop()
                self._status = None
            return
        if self._status is None:
            self._status = self.console.status(board.line())
            self._status.start()
        else:
            self._status.update(board.line())
