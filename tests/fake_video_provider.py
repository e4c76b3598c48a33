"""A loopback video provider speaking DashScope's video-synthesis API (submit returns a task
id, GET /tasks/{id} polls it) whose jobs take a fixed time, and a studio rendering a shot list
on it: for the executor's tests and its benchmark (`bench/executor_bench.py`)."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from writersroom.memory import open_database
from writersroom.tools import registry
from writersroom.tools.cache import RenderCache
from writersroom.tools.calls import PlannedShot
from writersroom.tools.dashscope_media import WanVideo
from writersroom.tools.media import run
from writersroom.tools.toolkit import Studio

SUBMIT = "/api/v1/services/aigc/video-generation/video-synthesis"
SHOTS = 12
POLICY = {  # the temporary storage's upload policy, as DashScope's uploads endpoint gives it
    "policy": "eyJleHBpcmF0aW9uIjoiMjAyNS0wNy0xN1QxMjowMDowMFoifQ==",
    "signature": "c2lnbmF0dXJl",
    "upload_dir": "dashscope-instant/test",
    "expire_in_seconds": 300,
    "max_file_size_mb": 100,
    "capacity_limit_mb": 999999,
    "oss_access_key_id": "LTAI5tTestKey",
    "x_oss_object_acl": "private",
    "x_oss_forbid_overwrite": "true",
}
PRICE = 0.5  # per call


class TimedProvider(ThreadingHTTPServer):
    """Video tasks that finish `seconds` after they are submitted (or, held, not at all)."""

    def __init__(self, clip: bytes, seconds: float = 2.0) -> None:
        super().__init__(("127.0.0.1", 0), TimedHandler)
        self.clip, self.seconds, self.held = clip, seconds, False
        self.lock = threading.Lock()
        # task id -> {"prompt", "seed", "submitted", "done_at", "collected"}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.uploads = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"

    def release(self) -> None:
        with self.lock:
            self.held = False
            for task in self.tasks.values():
                task["done_at"] = min(task["done_at"], time.monotonic())

    def most_in_flight(self) -> int:
        """The most tasks submitted and not yet collected at any moment, by this server's clock."""
        events = sorted(
            [(t["submitted"], 1) for t in self.tasks.values()]
            + [(t["collected"], -1) for t in self.tasks.values() if t["collected"] is not None]
        )
        most = now = 0
        for _, step in events:
            now += step
            most = max(most, now)
        return most


class TimedHandler(BaseHTTPRequestHandler):
    server: TimedProvider

    def send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/oss":  # a reference image to its temporary storage
            with self.server.lock:
                self.server.uploads += 1
            return self.send(200, b"")
        body = json.loads(data)
        assert self.path == SUBMIT, self.path
        now = time.monotonic()
        with self.server.lock:
            task_id = f"task-{len(self.server.tasks) + 1}"
            self.server.tasks[task_id] = {
                "prompt": body["input"]["prompt"],
                "references": body["input"].get("reference_urls", []),
                "seed": body["parameters"]["seed"],
                "submitted": now,
                "done_at": float("inf") if self.server.held else now + self.server.seconds,
                "collected": None,
            }
        answer = {"request_id": "r", "output": {"task_id": task_id, "task_status": "PENDING"}}
        self.send(200, json.dumps(answer).encode())

    def do_GET(self) -> None:
        if self.path == "/files/clip.mp4":
            return self.send(200, self.server.clip, "video/mp4")
        if self.path.startswith("/api/v1/uploads"):  # the temporary storage's upload policy
            return self.send(
                200,
                json.dumps(
                    {
                        "request_id": "r",
                        "data": POLICY
                        | {"upload_host": f"http://127.0.0.1:{self.server.server_address[1]}/oss"},
                    }
                ).encode(),
            )
        task_id = self.path.rsplit("/", 1)[-1]
        now = time.monotonic()
        with self.server.lock:
            task = self.server.tasks[task_id]
            done = now >= task["done_at"]
            if done and task["collected"] is None:
                task["collected"] = now
        output: dict[str, Any] = {"task_id": task_id, "task_status": "RUNNING"}
        usage = {}
        if done:
            url = f"http://127.0.0.1:{self.server.server_address[1]}/files/clip.mp4"
            output |= {"task_status": "SUCCEEDED", "video_url": url}
            usage = {"video_duration": 5}
        self.send(200, json.dumps({"request_id": "r", "output": output, "usage": usage}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path, seconds: float = 2.0) -> TimedProvider:
    """The provider on loopback, its result a real 5-second clip made in `folder`."""
    clip = folder / "clip.mp4"
    lavfi = ["-f", "lavfi", "-i", "testsrc=size=360x640:rate=16:duration=5"]
    run([*lavfi, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)])
    server = TimedProvider(clip.read_bytes(), seconds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def render_shots(project: str, base_url: str, concurrency: int = 4) -> None:
    """Twelve shots' videos through the studio on the provider (run in this process or as a
    separate one that the test kills)."""
    root = Path(project)
    cache = RenderCache(open_database(root / "writersroom.db"), root / "render", episode=1)
    plan = {
        n: PlannedShot(n, 1, "INT. ROOFTOP - NIGHT", [], [], "wide", "static", 3.0, f"shot {n}")
        for n in range(1, SHOTS + 1)
    }
    os.environ["DASHSCOPE_API_KEY"] = "sk-test"
    studio = Studio(
        root=root / "render" / "episode-01",
        cache=cache,
        backends={
            "video": WanVideo(base_url=base_url, price_per_call=PRICE),
            "voice": registry.load("voice", "embedded"),
            "lip_sync": registry.load("lip_sync", "embedded"),
        },
        prices={},
        plan=plan,
        cast={},
        language="en",
        concurrency={"video": concurrency},
    )
    calls = [{"name": "generate_video", "args": {"shot": n}, "id": f"call-{n}"} for n in plan]
    answers = studio.execute(calls)
    assert [a.status for a in answers] == ["success"] * SHOTS, [a.content for a in answers]
