"""The Kling and Vidu video backends against loopback servers that answer in the shapes of the
providers' API documents: Kling's JWT-signed text2video task (`data.task_id`, then
`task_status` submitted/processing/succeed/failed and `task_result.videos`; error answers
`{code, message}`), Vidu's `Token` text2video task (`task_id`, then `/creations` with `state`
and `creations`, or `err_code`). Result URLs point back at the server, which serves a real
clip."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from PIL import Image

from writersroom.errors import ConfigError
from writersroom.tools.base import CharacterLook, Reference, VideoRequest
from writersroom.tools.kling import KlingVideo
from writersroom.tools.media import RenderError, probe, run
from writersroom.tools.vidu import ViduVideo

ACCESS, SECRET = "ak-test-0123", "sk-secret-4567-89ab-cdef-0123-4567-89ab"
FAST = {"poll_seconds": 0.01, "retry_seconds": 0.01}


class Provider(ThreadingHTTPServer):
    """Records every request; answers from per-route queues of (status, body)."""

    def __init__(self, clip: bytes) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.clip = clip
        self.requests: list[dict[str, Any]] = []
        self.replies: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reply(self, method: str, path: str, body: dict[str, Any], status: int = 200) -> None:
        self.replies.setdefault((method, path), []).append((status, body))

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if (r["method"], r["path"]) == (method, path)]


class Handler(BaseHTTPRequestHandler):
    server: Provider

    def answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        record = {"method": method, "path": self.path, "headers": dict(self.headers)}
        self.server.requests.append(record | {"body": body, "at": time.monotonic()})
        if self.path == "/files/clip.mp4":
            status, data, kind = 200, self.server.clip, "video/mp4"
        else:
            queue = self.server.replies.get((method, self.path)) or [(404, {"message": "none"})]
            status, reply = queue.pop(0) if len(queue) > 1 else queue[0]
            data, kind = json.dumps(reply).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.answer("GET")

    def do_POST(self) -> None:
        self.answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[Provider]:
    clip = tmp_path / "clip.mp4"
    lavfi = ["-f", "lavfi", "-i", "testsrc=size=540x960:rate=24:duration=5"]
    run([*lavfi, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)])
    server = Provider(clip.read_bytes())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def shot() -> VideoRequest:
    return VideoRequest(
        shot=3,
        visual_prompt="Lena tears the contract in half",
        framing="close-up",
        camera="push-in",
        duration_seconds=4.0,
        characters=[CharacterLook(name="Lena", look="grey suit, silver earrings", seed=77)],
        setting="glass boardroom, dusk",
    )


def sheeted(folder: Path) -> VideoRequest:
    """The shot with two characters whose reference sheets (small real PNGs) are on disk."""
    looks = []
    for number, name in enumerate(("Lena", "Marco")):
        references = []
        for view in ("portrait", "figure"):
            path = folder / f"{name}-{view}.png"
            Image.new("RGB", (64, 64), (40 * number, 90, 160 if view == "figure" else 20)).save(
                path
            )
            references.append(Reference(view=view, sha256=view, path=str(path)))
        looks.append(CharacterLook(name=name, look="grey suit", seed=7, references=references))
    return shot().model_copy(update={"characters": looks})


def kling(provider: Provider, **options: Any) -> KlingVideo:
    return KlingVideo(
        access_key=ACCESS, secret_key=SECRET, base_url=provider.url, **FAST, **options
    )


def kling_task(status: str, **more: Any) -> dict[str, Any]:
    data = {"task_id": "kt-1", "task_status": status, "created_at": 1, "updated_at": 2} | more
    return {"code": 0, "message": "SUCCEED", "request_id": "r-1", "data": data}


KLING_SUBMIT, KLING_POLL = "/v1/videos/text2video", "/v1/videos/text2video/kt-1"


def test_kling_signs_a_jwt_submits_polls_and_conforms_the_clip(
    provider: Provider, tmp_path: Path
) -> None:
    provider.reply("POST", KLING_SUBMIT, kling_task("submitted"))
    provider.reply("GET", KLING_POLL, kling_task("processing"))
    videos = {"videos": [{"id": "v1", "url": f"{provider.url}/files/clip.mp4", "duration": "5"}]}
    provider.reply("GET", KLING_POLL, kling_task("succeed", task_result=videos))
    out = tmp_path / "shot.mp4"

    result = kling(provider, price_per_call=0.1, price_per_second=0.05).generate(shot(), out)

    (submit,) = provider.sent("POST", KLING_SUBMIT)
    token = submit["headers"]["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == ACCESS
    assert claims["exp"] - claims["nbf"] == 1805  # thirty minutes, from five seconds ago
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET[::-1], algorithms=["HS256"])
    body = submit["body"]
    assert (body["model_name"], body["aspect_ratio"], body["mode"]) == ("kling-v1-6", "9:16", "std")
    assert body["duration"] == "5"  # a string, the clip length covering the 4 s shot
    assert body["prompt"].startswith("Lena tears the contract in half.")
    assert "Lena: grey suit, silver earrings" in body["prompt"]
    assert len(provider.sent("GET", KLING_POLL)) == 2
    clip = probe(out)
    assert (clip["width"], clip["height"]) == (720, 1280)
    assert clip["duration"] == pytest.approx(4.0, abs=0.05)
    assert result.cost == pytest.approx(0.1 + 0.05 * 5)
    assert result.meta["task_id"] == "kt-1"


def test_kling_tries_again_after_429_and_5xx(provider: Provider, tmp_path: Path) -> None:
    provider.reply("POST", KLING_SUBMIT, {"code": 1303, "message": "parallel task over"}, 429)
    provider.reply("POST", KLING_SUBMIT, {"code": 5000, "message": "internal error"}, 500)
    provider.reply("POST", KLING_SUBMIT, kling_task("submitted"))

    assert kling(provider).submit(shot()) == "kt-1"
    assert len(provider.sent("POST", KLING_SUBMIT)) == 3


def test_kling_content_refusal_is_not_tried_again(provider: Provider) -> None:
    refusal = {"code": 1301, "message": "Trigger the content security policy", "request_id": "r"}
    provider.reply("POST", KLING_SUBMIT, refusal, 400)

    with pytest.raises(RenderError, match=r"HTTP 400 code 1301: .*content policy"):
        kling(provider).submit(shot())
    assert len(provider.sent("POST", KLING_SUBMIT)) == 1


def test_kling_a_failed_task_keeps_its_reason(provider: Provider, tmp_path: Path) -> None:
    provider.reply("GET", KLING_POLL, kling_task("failed", task_status_msg="risk control"))

    with pytest.raises(RenderError, match="task kt-1 failed: risk control"):
        kling(provider).collect("kt-1", shot(), tmp_path / "shot.mp4")


def test_kling_and_vidu_without_keys_fail_before_any_request(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "VIDU_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigError, match="set KLING_ACCESS_KEY"):
        KlingVideo(base_url=provider.url).submit(shot())
    with pytest.raises(ConfigError, match="set VIDU_API_KEY"):
        ViduVideo(base_url=provider.url).submit(shot())
    assert provider.requests == []


VIDU_SUBMIT, VIDU_POLL = "/ent/v2/text2video", "/ent/v2/tasks/vt-9/creations"


def vidu(provider: Provider, **options: Any) -> ViduVideo:
    return ViduVideo(api_key="vk-test", base_url=provider.url, **FAST, **options)


def test_vidu_submits_with_its_token_polls_and_conforms_the_clip(
    provider: Provider, tmp_path: Path
) -> None:
    provider.reply("POST", VIDU_SUBMIT, {"task_id": "vt-9", "state": "created", "model": "viduq1"})
    provider.reply("GET", VIDU_POLL, {"id": "vt-9", "state": "processing", "creations": []})
    creation = {"id": "c1", "url": f"{provider.url}/files/clip.mp4", "cover_url": ""}
    provider.reply("GET", VIDU_POLL, {"id": "vt-9", "state": "success", "creations": [creation]})
    out = tmp_path / "shot.mp4"

    result = vidu(provider, price_per_call=0.2).generate(shot(), out)

    (submit,) = provider.sent("POST", VIDU_SUBMIT)
    assert submit["headers"]["Authorization"] == "Token vk-test"
    body = submit["body"]
    assert (body["model"], body["aspect_ratio"], body["duration"]) == ("viduq1", "9:16", 5)
    assert body["seed"] == 77  # the character's series seed: her shots look alike
    assert "Lena: grey suit, silver earrings" in body["prompt"]
    assert probe(out)["duration"] == pytest.approx(4.0, abs=0.05)
    assert (result.cost, result.meta["task_id"]) == (0.2, "vt-9")


def test_vidu_a_refused_task_keeps_its_error_code(provider: Provider, tmp_path: Path) -> None:
    failed = {"id": "vt-9", "state": "failed", "err_code": "AuditSubmitIllegal", "creations": []}
    provider.reply("GET", VIDU_POLL, failed)

    with pytest.raises(RenderError, match="task vt-9 failed: AuditSubmitIllegal"):
        vidu(provider).collect("vt-9", shot(), tmp_path / "shot.mp4")


def test_vidu_tries_again_after_a_busy_answer(provider: Provider) -> None:
    provider.reply("POST", VIDU_SUBMIT, {"code": 429, "reason": "TooManyRequests"}, 429)
    provider.reply("POST", VIDU_SUBMIT, {"code": 503, "reason": "ServiceUnavailable"}, 503)
    provider.reply("POST", VIDU_SUBMIT, {"task_id": "vt-9", "state": "created"})

    assert vidu(provider).submit(shot()) == "vt-9"
    assert len(provider.sent("POST", VIDU_SUBMIT)) == 3


def test_kling_gives_each_characters_portrait_for_shots_with_characters(
    provider: Provider, tmp_path: Path
) -> None:
    request = sheeted(tmp_path)
    provider.reply("POST", "/v1/videos/multi-image2video", kling_task("submitted"))
    videos = {"videos": [{"id": "v1", "url": f"{provider.url}/files/clip.mp4", "duration": "5"}]}
    poll = "/v1/videos/multi-image2video/kt-1"
    provider.reply("GET", poll, kling_task("succeed", task_result=videos))

    kling(provider).generate(request, tmp_path / "shot.mp4")

    (submit,) = provider.sent("POST", "/v1/videos/multi-image2video")
    sent = [base64.b64decode(item["image"]) for item in submit["body"]["image_list"]]
    portraits = [tmp_path / f"{name}-portrait.png" for name in ("Lena", "Marco")]
    assert sent == [p.read_bytes() for p in portraits]
    assert provider.sent("GET", poll) and not provider.sent("POST", KLING_SUBMIT)


def test_vidu_gives_each_characters_sheet_for_shots_with_characters(
    provider: Provider, tmp_path: Path
) -> None:
    request = sheeted(tmp_path)
    provider.reply("POST", "/ent/v2/reference2video", {"task_id": "vt-9", "state": "created"})

    assert vidu(provider).submit(request) == "vt-9"

    (submit,) = provider.sent("POST", "/ent/v2/reference2video")
    body = submit["body"]
    assert body["model"] == "vidu2.0"
    prefix = "data:image/png;base64,"
    assert all(image.startswith(prefix) for image in body["images"])
    sent = [base64.b64decode(image.removeprefix(prefix)) for image in body["images"]]
    views = [f"{n}-{v}.png" for v in ("portrait", "figure") for n in ("Lena", "Marco")]
    assert sent == [(tmp_path / view).read_bytes() for view in views]
