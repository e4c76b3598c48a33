"""Where a render's work runs: on this machine (threads and worker processes), or as Ray tasks.

A studio makes the videos and voices of a director's answer at once (`Studio.make_ahead`), as
many per backend as its bound allows; the executor decides where each render's work happens.
What a backend is tells which way suits it:

- a provider backend (`provider = True`: Wan, Kling, Vidu, ...) waits on the provider's service.
  Its jobs are submitted and polled from this process, in the studio's threads, on either
  executor: the render cache records a task's id before its first poll from here.
- a CPU-bound backend (`cpu_bound = True`: the storyboard, the embedded voices and lip-sync)
  computes on this machine. The local executor runs its renders in this process by default, and
  in `[executor] workers` worker processes when set above 1. Most of their work is already
  multi-threaded native code (ffmpeg's encoder, ONNX Runtime), so on 2 cores the processes were
  slower (their start and each one's own voice models): see bench/results/render-workers-*.json.
- on Ray (`--executor ray`, or `[executor] kind = "ray"`), every render that is not a
  provider's job is a Ray task, on a Ray runtime started here or the cluster at
  `[executor] address`. A task asks for the resources `[executor.resources.BACKEND]` names
  (default one CPU), e.g. `diffusers = {num_gpus = 1}`. It writes its result where it is told,
  inside the project's render folder, and reads the inputs its request names there (reference
  sheets, a shot's picture): on a cluster of several machines, they share that file system.

Whichever runs it, a render is idempotent by its cache key: the cache and the ledger are written
by this process alone, once per key, so a task run twice (a Ray task retried after its worker
died) pays nothing twice.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from writersroom.config import ExecutorConfig
from writersroom.errors import ConfigError
from writersroom.tools.base import MediaResult
from writersroom.tools.media import RenderError

Work = Callable[..., MediaResult]

RAY_EXTRA = "pip install 'writersroom[ray]'"


class Executor(Protocol):
    def start(self) -> None:
        """Be ready to run renders (before the studio's threads ask for any)."""
        ...

    def bound(self, backend: Any) -> int:
        """How many of `backend`'s renders run at once, unless configured by its name."""
        ...

    def run(self, backend: Any, work: Work, *args: Any) -> MediaResult:
        """`work(*args)`, one of `backend`'s renders, where it suits the backend."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """Threads for provider jobs and other backends; worker processes for CPU-bound ones."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.in_processes = 0  # renders run in worker processes so far
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # the studio's threads ask for renders at once

    def start(self) -> None:
        """Nothing to do: worker processes start when a CPU-bound render first needs them."""

    def bound(self, backend: Any) -> int:
        return self.workers if _cpu_bound(backend) else getattr(backend, "concurrency", 1)

    def run(self, backend: Any, work: Work, *args: Any) -> MediaResult:
        if not _cpu_bound(backend) or self.workers == 1:
            return work(*args)
        with self._lock:
            if self._pool is None:
                # spawned, not forked: the studio forks from a process with threads running
                spawn = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.workers, mp_context=spawn)
            pool = self._pool
            self.in_processes += 1
        try:
            return pool.submit(work, *args).result()
        except BrokenProcessPool as exc:  # a worker died (killed, out of memory): start anew
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise RenderError(f"{backend.name}: its worker process died ({exc})") from None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    """Every render but a provider's job as a Ray task."""

    def __init__(self, config: ExecutorConfig, workers: int) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError(f"the Ray executor needs Ray: {RAY_EXTRA}") from None
        self.ray = ray
        self.config = config
        self.workers = workers
        self.started = False  # a runtime this process started (and stops when done)
        self._task: Any = None
        self._lock = threading.Lock()

    def bound(self, backend: Any) -> int:
        return getattr(backend, "concurrency", 1) if _provider(backend) else self.workers

    def run(self, backend: Any, work: Work, *args: Any) -> MediaResult:
        if _provider(backend):
            return work(*args)
        self.start()
        task = self._task.options(**self.config.resources.get(backend.name, {}))
        try:
            result: MediaResult = self.ray.get(task.remote(work, *args))
        except self.ray.exceptions.RayTaskError:  # the render's own error (an instance of it)
            raise
        except self.ray.exceptions.RayError as exc:  # a worker or node lost, after Ray's retries
            raise RenderError(f"{backend.name}: its Ray task was lost ({exc})") from None
        return result

    def start(self) -> None:
        """Connect to the cluster, or start a Ray runtime here, once."""
        with self._lock:
            if self._task is not None:
                return
            if not self.ray.is_initialized():
                try:
                    self.ray.init(
                        address=self.config.address or None,
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                    )
                except ConnectionError as exc:
                    raise ConfigError(
                        f"[executor] address {self.config.address!r}: no Ray cluster ({exc})"
                    ) from None
                self.started = True
            self._task = self.ray.remote(_render)

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False
        self._task = None


def _render(work: Work, *args: Any) -> MediaResult:
    """A render, run on a Ray worker."""
    return work(*args)


def _provider(backend: Any) -> bool:
    return bool(getattr(backend, "provider", False))


def _cpu_bound(backend: Any) -> bool:
    return bool(getattr(backend, "cpu_bound", False))


_open: dict[str, Executor] = {}


def executor_for(config: ExecutorConfig) -> Executor:
    """The executor `config` names, opened once per process (worker processes and a Ray
    runtime are slow to start) and closed when the process ends."""
    key = config.model_dump_json()
    if key not in _open:
        workers = config.workers or (os.cpu_count() or 1 if config.kind == "ray" else 1)
        _open[key] = (
            RayExecutor(config, workers) if config.kind == "ray" else LocalExecutor(workers)
        )
    return _open[key]


@atexit.register
def close_all() -> None:
    while _open:
        _open.popitem()[1].close()
