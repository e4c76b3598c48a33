"""The Kling and Vidu backends against loopback servers that answer in the shapes of the
providers' API documents: Kling's JWT-signed tasks (`data.task_id`, then `task_status`
submitted/processing/succeed/failed and `task_result.videos` or `.images`; error answers
`{code, message}`) for text2video, multi-image2video, lip-sync (`input.video_id`, the line as
`audio_file`) and image generation; Vidu's `Token` text2video task (`task_id`, then
`/creations` with `state` and `creations`, or `err_code`). Result URLs point back at the
server, which serves a real clip and a real image."""

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
import numpy as np
import pytest
from PIL import Image

from writersroom.errors import ConfigError
from writersroom.tools import registry
from writersroom.tools.base import (
    CharacterLook,
    ImageRequest,
    LipSyncRequest,
    Reference,
    VideoRequest,
    View,
)
from writersroom.tools.kling import KlingVideo
from writersroom.tools.kling_image import KlingImage
from writersroom.tools.kling_lipsync import KlingLipSync
from writersroom.tools.media import RenderError, probe, read_audio, run, write_wav
from writersroom.tools.sheets import SIZES
from writersroom.tools.vidu import ViduVideo

ACCESS, SECRET = "ak-test-0123", "sk-secret-4567-89ab-cdef-0123-4567-89ab"
FAST = {"poll_seconds": 0.01, "retry_seconds": 0.01}


class Provider(ThreadingHTTPServer):
    """Records every request; answers from per-route queues of (status, body)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files  # served at /files/NAME
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
        if (name := self.path.removeprefix("/files/")) in self.server.files:
            status, data, kind = 200, self.server.files[name], "application/octet-stream"
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
    server = Provider({"clip.mp4": clip.read_bytes()})
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


def assert_signed(request: dict[str, Any]) -> None:
    """The request carries Kling's JWT: the access key, signed with the secret key, for 30 min."""
    token = request["headers"]["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == ACCESS
    assert claims["exp"] - claims["nbf"] == 1805  # thirty minutes, from five seconds ago
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET[::-1], algorithms=["HS256"])


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
    assert_signed(submit)
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
    assert result.meta["kling_video_id"] == "v1"  # by which Kling's lip-sync takes the shot


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


LIPSYNC, LIPSYNC_POLL = "/v1/videos/lip-sync", "/v1/videos/lip-sync/ls-1"
RATE = 16000


def kling_shot(provider: Provider, root: Path) -> Path:
    """Shot 3 made by the Kling video backend into the render folder, its meta beside it as
    the render cache keeps it; and its line, 1.2 s of tone."""
    provider.reply("POST", KLING_SUBMIT, kling_task("submitted"))
    videos = {"videos": [{"id": "v1", "url": f"{provider.url}/files/clip.mp4", "duration": "5"}]}
    provider.reply("GET", KLING_POLL, kling_task("succeed", task_result=videos))
    video = root / "shot-03" / "video.mp4"
    made = kling(provider).generate(shot(), video)
    video.with_name("video.mp4.json").write_text(json.dumps(made.meta), encoding="utf-8")
    tone = 0.5 * np.sin(2 * np.pi * 330 * np.arange(round(1.2 * RATE)) / RATE)
    write_wav(root / "shot-03" / "line-1.wav", tone.astype(np.float32), RATE)
    return video


def lip_sync(offset: float = 0.5) -> LipSyncRequest:
    return LipSyncRequest(
        shot=3,
        speaker="Lena",
        video="shot-03/video.mp4",
        audio="shot-03/line-1.wav",
        offset_seconds=offset,
    )


def kling_lipsync(provider: Provider) -> KlingLipSync:
    return KlingLipSync(access_key=ACCESS, secret_key=SECRET, base_url=provider.url, **FAST)


def test_kling_lip_syncs_its_own_shot_by_id_with_the_placed_line(
    provider: Provider, tmp_path: Path
) -> None:
    root = tmp_path / "render"
    kling_shot(provider, root)
    provider.reply("POST", LIPSYNC, kling_task("submitted", task_id="ls-1"))
    provider.reply("GET", LIPSYNC_POLL, kling_task("processing", task_id="ls-1"))
    synced = {"videos": [{"id": "v2", "url": f"{provider.url}/files/clip.mp4", "duration": "5"}]}
    provider.reply("GET", LIPSYNC_POLL, kling_task("succeed", task_id="ls-1", task_result=synced))
    out = root / "shot-03" / "lipsync-1.mp4"

    result = kling_lipsync(provider).sync(lip_sync(offset=0.5), root, out)

    (submit,) = provider.sent("POST", LIPSYNC)
    assert_signed(submit)
    sent = submit["body"]["input"]
    assert (sent["video_id"], sent["mode"], sent["audio_type"]) == ("v1", "audio2video", "file")
    assert "video_url" not in sent  # one or the other
    placed = tmp_path / "placed.wav"
    placed.write_bytes(base64.b64decode(sent["audio_file"]))
    heard, line = read_audio(placed, RATE), read_audio(root / "shot-03" / "line-1.wav", RATE)
    start = round(0.5 * RATE)
    assert len(heard) == pytest.approx(4.0 * RATE, abs=RATE * 0.02)  # the shot's length
    assert np.abs(heard[:start]).max() < 1e-3  # silent until the line's offset
    assert np.abs(heard[start : start + len(line)] - line).max() < 1e-3  # then the line
    assert np.abs(heard[start + len(line) :]).max() < 1e-3
    assert len(provider.sent("GET", LIPSYNC_POLL)) == 2
    info = probe(out)
    assert (info["video"], info["width"], info["height"]) == ("h264", 720, 1280)
    assert info["duration"] == pytest.approx(4.0, abs=0.05)
    assert "audio" not in info  # like every shot file: the cut mixes the voices itself
    assert (result.meta["task_id"], result.meta["kling_video_id"]) == ("ls-1", "v2")


def test_kling_lip_sync_of_a_shot_kling_did_not_make_asks_nothing(
    provider: Provider, tmp_path: Path
) -> None:
    root = tmp_path / "render"
    kling_shot(provider, root).with_name("video.mp4.json").write_text('{"model": "wan2.1"}')
    provider.requests.clear()

    with pytest.raises(RenderError, match=r"shot-03/video.mp4 was not made by Kling"):
        kling_lipsync(provider).sync(lip_sync(), root, root / "out.mp4")
    assert provider.requests == []


def test_kling_lip_sync_tries_busy_answers_again_and_keeps_a_failed_tasks_reason(
    provider: Provider, tmp_path: Path
) -> None:
    root = tmp_path / "render"
    kling_shot(provider, root)
    provider.reply("POST", LIPSYNC, {"code": 1303, "message": "parallel task over"}, 429)
    provider.reply("POST", LIPSYNC, {"code": 5000, "message": "internal error"}, 500)
    provider.reply("POST", LIPSYNC, kling_task("submitted", task_id="ls-1"))
    failed = kling_task("failed", task_id="ls-1", task_status_msg="no face found in the video")
    provider.reply("GET", LIPSYNC_POLL, failed)
    out = root / "out.mp4"

    with pytest.raises(RenderError, match="task ls-1 failed: no face found in the video"):
        kling_lipsync(provider).sync(lip_sync(), root, out)
    assert len(provider.sent("POST", LIPSYNC)) == 3
    assert not out.exists()


IMAGES, IMAGES_POLL = "/v1/images/generations", "/v1/images/generations/ki-1"


def kling_image(provider: Provider, **options: Any) -> KlingImage:
    return KlingImage(
        access_key=ACCESS, secret_key=SECRET, base_url=provider.url, **FAST, **options
    )


@pytest.mark.parametrize(("view", "ratio"), [("portrait", "1:1"), ("figure", "9:16")])
def test_kling_draws_a_sheet_view_at_its_ratio_and_size(
    provider: Provider, tmp_path: Path, view: View, ratio: str
) -> None:
    drawn = tmp_path / "drawn.png"
    Image.new("RGB", (1000, 1400), (200, 120, 90)).save(drawn)  # not the view's own size
    provider.files["drawn.png"] = drawn.read_bytes()
    provider.reply("POST", IMAGES, kling_task("submitted", task_id="ki-1"))
    provider.reply("GET", IMAGES_POLL, kling_task("processing", task_id="ki-1"))
    images = {"images": [{"index": 0, "url": f"{provider.url}/files/drawn.png"}]}
    provider.reply("GET", IMAGES_POLL, kling_task("succeed", task_id="ki-1", task_result=images))
    lena = CharacterLook(name="Lena", look="grey suit, silver earrings", seed=77)
    request = ImageRequest(character=lena, view=view, notes="hair shorter, no glasses")
    out = tmp_path / "characters" / f"lena-{view}.png"

    result = kling_image(provider).draw(request, out)

    (submit,) = provider.sent("POST", IMAGES)
    assert_signed(submit)
    body = submit["body"]
    assert (body["model_name"], body["aspect_ratio"], body["n"]) == ("kling-v1", ratio, 1)
    assert "Lena" in body["prompt"] and "grey suit, silver earrings" in body["prompt"]
    assert "hair shorter, no glasses" in body["prompt"]
    assert body["negative_prompt"]
    with Image.open(out) as saved:
        assert (saved.format, saved.size) == ("PNG", SIZES[view])
    assert (result.meta["view"], result.meta["task_id"]) == (view, "ki-1")


def test_kling_sheet_task_that_fails_keeps_its_reason(provider: Provider, tmp_path: Path) -> None:
    provider.reply("POST", IMAGES, kling_task("submitted", task_id="ki-1"))
    failed = kling_task("failed", task_id="ki-1", task_status_msg="risk control")
    provider.reply("GET", IMAGES_POLL, failed)
    lena = CharacterLook(name="Lena", look="grey suit", seed=77)
    out = tmp_path / "lena-portrait.png"

    with pytest.raises(RenderError, match="task ki-1 failed: risk control"):
        kling_image(provider).draw(ImageRequest(character=lena, view="portrait"), out)
    (submit,) = provider.sent("POST", IMAGES)
    assert "Notes" not in submit["body"]["prompt"]
    assert not out.exists()


def test_one_kling_options_table_builds_every_kling_backend(provider: Provider) -> None:
    options = {
        "model": "kling-v2-1",
        "mode": "pro",
        "durations": [5, 10],
        "price_per_second": 0.1,
        "image_model": "kling-v2",
        "access_key": ACCESS,
        "secret_key": SECRET,
        "base_url": provider.url,
    }
    video = registry.load("video", "kling", options)
    lips = registry.load("lip_sync", "kling", options)
    drawer = registry.load("image", "kling", options)

    assert isinstance(video, KlingVideo) and video.model == "kling-v2-1"
    assert isinstance(lips, KlingLipSync) and isinstance(drawer, KlingImage)
    assert drawer.model == "kling-v2"
    with pytest.raises(ConfigError, match="colour"):  # a wrong option is still an error
        registry.load("image", "kling", options | {"colour": "red"})


I2V, I2V_POLL = "/v1/videos/image2video", "/v1/videos/image2video/kt-1"


def test_kling_first_frame_starts_the_shot_from_the_first_characters_figure(
    provider: Provider, tmp_path: Path
) -> None:
    request = sheeted(tmp_path)
    provider.reply("POST", I2V, kling_task("submitted"))
    provider.reply("GET", I2V_POLL, kling_task("processing"))
    videos = {"videos": [{"id": "v7", "url": f"{provider.url}/files/clip.mp4", "duration": "5"}]}
    provider.reply("GET", I2V_POLL, kling_task("succeed", task_result=videos))
    out = tmp_path / "shot.mp4"

    result = kling(provider, references="first-frame").generate(request, out)

    (submit,) = provider.sent("POST", I2V)
    assert_signed(submit)
    body = submit["body"]
    assert base64.b64decode(body["image"], validate=True) == (
        (tmp_path / "Lena-figure.png").read_bytes()
    )
    assert "image_list" not in body and "aspect_ratio" not in body  # the picture's shape
    assert (body["model_name"], body["mode"], body["duration"]) == ("kling-v1-6", "std", "5")
    assert "Lena tears the contract in half" in body["prompt"]
    assert len(provider.sent("GET", I2V_POLL)) == 2
    assert not provider.sent("POST", "/v1/videos/multi-image2video")
    clip = probe(out)
    assert (clip["width"], clip["height"]) == (720, 1280)
    assert result.meta["kling_video_id"] == "v7"


def test_kling_first_frame_leaves_a_shot_without_sheets_text_to_video(
    provider: Provider,
) -> None:
    provider.reply("POST", KLING_SUBMIT, kling_task("submitted"))

    assert kling(provider, references="first-frame").submit(shot()) == "kt-1"

    (submit,) = provider.sent("POST", KLING_SUBMIT)
    assert submit["body"]["aspect_ratio"] == "9:16"
    assert "image" not in submit["body"] and not provider.sent("POST", I2V)


def test_the_kling_table_takes_references_for_video_and_refuses_an_unknown_way() -> None:
    options = {"access_key": ACCESS, "secret_key": SECRET, "references": "first-frame"}

    video = registry.load("video", "kling", options)
    registry.load("image", "kling", options)  # the video backend's option, left by the others
    registry.load("lip_sync", "kling", options)

    assert isinstance(video, KlingVideo) and video.references == "first-frame"
    with pytest.raises(ConfigError, match=r"kling: references = 'both'"):
        registry.load("video", "kling", options | {"references": "both"})
