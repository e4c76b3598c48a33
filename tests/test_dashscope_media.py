"""The DashScope media backends against a loopback server speaking DashScope's HTTP API.

The answers are the documented shapes: a task submit returns output.task_id + PENDING, polling
GET /api/v1/tasks/{id} returns RUNNING then SUCCEEDED with output.video_url, or output.results
[{url}] for a picture (or FAILED with a code and message); CosyVoice streams SSE events ending
with the audio URL; the temporary-upload policy points at an upload host. Result URLs point
back at the server, which serves small real files made with ffmpeg (or PIL).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_video_provider import POLICY
from PIL import Image

from writersroom.errors import ConfigError
from writersroom.memory import open_database
from writersroom.tools import registry
from writersroom.tools.base import (
    CharacterLook,
    ImageRequest,
    LipSyncRequest,
    Reference,
    VideoRequest,
    View,
    VoiceRequest,
)
from writersroom.tools.cache import RenderCache
from writersroom.tools.calls import CastMember, PlannedShot
from writersroom.tools.dashscope_image import WanImage
from writersroom.tools.dashscope_media import CosyVoice, VideoRetalk, WanVideo
from writersroom.tools.media import RenderError, probe, run
from writersroom.tools.sheets import AVOID, FRAMES, VIEWS, remake, sheet_description, with_sheets
from writersroom.tools.toolkit import Studio

KEY = "sk-test-0123"
SUBMIT_VIDEO = "/api/v1/services/aigc/video-generation/video-synthesis"
SUBMIT_RETALK = "/api/v1/services/aigc/image2video/video-synthesis"
SPEECH = "/api/v1/services/audio/tts/SpeechSynthesizer"
UPLOADS = "/api/v1/uploads"
Reply = tuple[int, dict[str, str], bytes]


class FakeDashScope(ThreadingHTTPServer):
    """Records every request; answers from per-route queues of (status, headers, body)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []
        self.replies: dict[tuple[str, str], list[Reply]] = {}
        self.files: dict[str, bytes] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.url + "/api/v1"

    def reply(self, method: str, path: str, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        self.replies.setdefault((method, path), []).append((status, headers, data))

    def stream(self, path: str, events: list[dict[str, Any]]) -> None:
        lines = [
            f"id:{n}\nevent:result\n:HTTP_STATUS/200\ndata:{json.dumps(e)}\n\n"
            for n, e in enumerate(events, 1)
        ]
        headers = {"Content-Type": "text/event-stream;charset=UTF-8"}
        self.replies.setdefault(("POST", path), []).append((200, headers, "".join(lines).encode()))

    def serve(self, name: str, data: bytes) -> str:
        self.files[f"/files/{name}"] = data
        return f"{self.url}/files/{name}"

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"] == path]


class Handler(BaseHTTPRequestHandler):
    server: FakeDashScope

    def answer(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": method, "path": url.path, "query": parse_qs(url.query)}
        record |= {"headers": dict(self.headers), "raw": body}
        if self.headers.get("Content-Type", "").startswith("application/json"):
            record["body"] = json.loads(body)
        self.server.requests.append(record)
        if method == "GET" and url.path in self.server.files:
            status, headers, data = 200, {}, self.server.files[url.path]
        elif self.server.replies.get((method, url.path)):
            status, headers, data = self.server.replies[(method, url.path)].pop(0)
        else:
            status, headers, data = 404, {}, b'{"code":"NotFound","message":"no such route"}'
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
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
def server() -> Iterator[FakeDashScope]:
    fake = FakeDashScope()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small real files: a landscape clip as a service might return, a shot, a line of speech."""
    folder = tmp_path_factory.mktemp("media")
    lavfi, h264 = ["-f", "lavfi", "-i"], ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
    files = {
        "wan": [*lavfi, "testsrc=size=640x360:rate=16:duration=5", *h264],
        "shot": [*lavfi, "testsrc=size=720x1280:rate=24:duration=3", *h264],
        "talking": [
            *lavfi,
            "testsrc=size=720x1280:rate=25:duration=3",
            *lavfi,
            "sine=frequency=220:duration=3",
            *h264,
            "-c:a",
            "aac",
            "-shortest",
        ],
        "line": [*lavfi, "sine=frequency=330:sample_rate=24000:duration=1.2"],
    }
    paths = {}
    for name, args in files.items():
        paths[name] = folder / (f"{name}.wav" if name == "line" else f"{name}.mp4")
        run([*args, str(paths[name])])
    return paths


def task(task_id: str, status: str, **output: Any) -> dict[str, Any]:
    return {
        "request_id": f"req-{task_id}-{status.lower()}",
        "output": {"task_id": task_id, "task_status": status, **output},
    }


def shot_request(duration: float = 3.5) -> VideoRequest:
    return VideoRequest(
        shot=2,
        visual_prompt="Lena slams the boardroom door",
        framing="close-up",
        camera="push-in",
        duration_seconds=duration,
        characters=[CharacterLook(name="Lena", look="grey suit, silver earrings", seed=77)],
        setting="glass boardroom, dusk",
    )


def test_wan_submits_polls_and_conforms_the_clip(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path
) -> None:
    clip_url = server.serve("wan.mp4", media["wan"].read_bytes())
    server.reply("POST", SUBMIT_VIDEO, task("wan-1", "PENDING"))
    server.reply("GET", "/api/v1/tasks/wan-1", task("wan-1", "RUNNING"))
    done = task("wan-1", "SUCCEEDED", video_url=clip_url)
    server.reply("GET", "/api/v1/tasks/wan-1", done | {"usage": {"video_duration": 5}})
    backend = WanVideo(
        api_key=KEY, base_url=server.base_url, price_per_call=0.01, price_per_second=0.1
    )
    out = tmp_path / "render" / "shot002.mp4"

    result = backend.generate(shot_request(3.5), out)

    (submit,) = server.sent("POST", SUBMIT_VIDEO)
    assert submit["headers"]["Authorization"] == f"Bearer {KEY}"
    assert submit["headers"]["X-DashScope-Async"] == "enable"
    body = submit["body"]
    assert body["model"] == "wan2.1-t2v-turbo"
    assert "Lena slams the boardroom door" in body["input"]["prompt"]
    assert "Lena: grey suit, silver earrings" in body["input"]["prompt"]
    assert body["input"]["extend_prompt"] is False
    assert body["parameters"] == {
        "size": "720*1280",
        "duration": 5,
        "seed": 77,
        "prompt_extend": False,
    }
    assert len(server.sent("GET", "/api/v1/tasks/wan-1")) == 2
    info = probe(out)
    assert (info["video"], info["width"], info["height"], "audio" in info) == (
        "h264",
        720,
        1280,
        False,
    )
    assert info["duration"] == pytest.approx(3.5, abs=0.05)
    assert result.duration_seconds == pytest.approx(3.5, abs=0.05)
    assert result.cost == pytest.approx(0.51)
    assert result.meta == {"model": "wan2.1-t2v-turbo", "task_id": "wan-1", "billed_seconds": 5.0}


def test_a_failed_task_is_a_render_error_with_dashscopes_code(
    server: FakeDashScope, tmp_path: Path
) -> None:
    server.reply("POST", SUBMIT_VIDEO, task("wan-2", "PENDING"))
    failed = task("wan-2", "FAILED", code="InvalidParameter", message="The size is not match")
    server.reply("GET", "/api/v1/tasks/wan-2", failed)
    out = tmp_path / "shot.mp4"

    with pytest.raises(RenderError) as error:
        WanVideo(api_key=KEY, base_url=server.base_url).generate(shot_request(), out)

    assert str(error.value) == (
        "dashscope-wan (wan2.1-t2v-turbo): task wan-2 failed: InvalidParameter: "
        "The size is not match"
    )
    assert not out.exists()


def test_a_refused_key_names_the_variable_to_check(server: FakeDashScope, tmp_path: Path) -> None:
    refused = {"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "r"}
    server.reply("POST", SUBMIT_VIDEO, refused, status=401)

    with pytest.raises(RenderError, match=r"HTTP 401 InvalidApiKey: .*\(check DASHSCOPE_API_KEY\)"):
        WanVideo(api_key="sk-wrong", base_url=server.base_url).generate(
            shot_request(), tmp_path / "x"
        )
    assert [r["method"] for r in server.requests] == ["POST"]


def test_a_missing_key_is_a_config_error_before_any_request(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    (tmp_path / "shot.mp4").write_bytes(media["shot"].read_bytes())
    (tmp_path / "line.wav").write_bytes(media["line"].read_bytes())
    line = VoiceRequest(shot=1, speaker="Lena", voice_id="longxiaochun_v2", text="No.")
    sync = LipSyncRequest(shot=1, speaker="Lena", video="shot.mp4", audio="line.wav")

    with pytest.raises(ConfigError, match="set DASHSCOPE_API_KEY"):
        WanVideo(base_url=server.base_url).generate(shot_request(), tmp_path / "a.mp4")
    with pytest.raises(ConfigError, match="set MY_DS_KEY"):
        CosyVoice(base_url=server.base_url, api_key_env="MY_DS_KEY").speak(line, tmp_path / "b.wav")
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY"):
        VideoRetalk(base_url=server.base_url).sync(sync, tmp_path, tmp_path / "c.mp4")
    assert server.requests == []

    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    server.reply("POST", SUBMIT_VIDEO, {"code": "Throttling", "message": "slow down"}, 429)
    with pytest.raises(RenderError, match="HTTP 429 Throttling"):
        WanVideo(base_url=server.base_url).generate(shot_request(), tmp_path / "a.mp4")
    assert server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"


def test_an_unreachable_service_is_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    backend = WanVideo(api_key=KEY, base_url=f"http://127.0.0.1:{port}/api/v1")

    with pytest.raises(RenderError, match=r"^dashscope-wan \(wan2.1-t2v-turbo\): cannot reach"):
        backend.generate(shot_request(), tmp_path / "x.mp4")
    assert "Traceback" not in capfd.readouterr().err


def test_cosyvoice_streams_word_timings_and_downloads_the_audio(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path
) -> None:
    audio = media["line"].read_bytes()
    audio_url = server.serve("line.wav", audio)
    words = [
        {"text": "Not", "begin_index": 0, "end_index": 3, "begin_time": 80, "end_time": 360},
        {
            "text": "tonight.",
            "begin_index": 4,
            "end_index": 12,
            "begin_time": 360,
            "end_time": 1010,
        },
    ]
    chunk = base64.b64encode(audio[:4096]).decode()
    server.stream(
        SPEECH,
        [
            {"output": {"type": "sentence-begin", "sentence": {"index": 0, "words": []}}},
            {
                "output": {
                    "type": "sentence-synthesis",
                    "sentence": {"index": 0, "words": words[:1]},
                    "audio": {"data": chunk},
                }
            },
            {"output": {"type": "sentence-end", "sentence": {"index": 0, "words": words}}},
            {
                "output": {
                    "finish_reason": "stop",
                    "audio": {"url": audio_url, "id": "audio-1", "expires_at": 1767225600},
                },
                "usage": {"characters": 12},
                "request_id": "req-voice",
            },
        ],
    )
    backend = CosyVoice(api_key=KEY, base_url=server.base_url, price_per_character=0.001)
    line = VoiceRequest(shot=4, speaker="Lena", voice_id="longxiaochun_v2", text="Not tonight.")
    out = tmp_path / "render" / "shot004-lena.wav"

    result = backend.speak(line, out)

    (sent,) = server.sent("POST", SPEECH)
    assert sent["headers"]["X-DashScope-SSE"] == "enable"
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    assert sent["body"] == {
        "model": "cosyvoice-v2",
        "input": {
            "text": "Not tonight.",
            "voice": "longxiaochun_v2",
            "format": "wav",
            "sample_rate": 24000,
            "word_timestamp_enabled": True,
        },
    }
    assert out.read_bytes() == audio
    assert result.duration_seconds == pytest.approx(1.2, abs=0.02)
    assert result.cost == pytest.approx(0.012)
    assert result.meta["words"] == [
        {"text": "Not", "start": 0.08, "end": 0.36},
        {"text": "tonight.", "start": 0.36, "end": 1.01},
    ]
    assert result.meta["voice"] == "longxiaochun_v2"


def test_cosyvoice_error_answer_is_a_render_error(server: FakeDashScope, tmp_path: Path) -> None:
    refused = {"code": "InvalidParameter", "message": "voice not found", "request_id": "r"}
    server.reply("POST", SPEECH, refused, status=400)
    line = VoiceRequest(shot=1, speaker="Lena", voice_id="nobody", text="Hello.")

    with pytest.raises(RenderError, match=r"cosyvoice-v2.*voice not found"):
        CosyVoice(api_key=KEY, base_url=server.base_url).speak(line, tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()


def uploads(server: FakeDashScope) -> dict[str, bytes]:
    """The files posted to the upload host, by object key."""
    stored = {}
    for upload in server.sent("POST", "/oss"):
        head = f"Content-Type: {upload['headers']['Content-Type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            head + upload["raw"]
        )
        fields = {
            p.get_param("name", header="content-disposition"): p for p in message.iter_parts()
        }
        stored[fields["key"].get_content().strip()] = fields["file"].get_payload(decode=True)
    return stored


def test_videoretalk_uploads_the_shot_and_the_placed_line(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path
) -> None:
    root = tmp_path / "render"
    (root / "shots").mkdir(parents=True)
    (root / "shots" / "003.mp4").write_bytes(media["shot"].read_bytes())
    (root / "voice-003.wav").write_bytes(media["line"].read_bytes())
    folder = "dashscope-instant/8f1e/2025-07-17/ab12"
    policy = POLICY | {"upload_dir": folder, "upload_host": server.url + "/oss"}
    server.reply("GET", UPLOADS, {"request_id": "req-policy", "data": policy})
    server.replies[("POST", "/oss")] = [(200, {}, b""), (200, {}, b"")]
    server.reply("POST", SUBMIT_RETALK, task("rt-1", "PENDING"))
    talking = server.serve("talking.mp4", media["talking"].read_bytes())
    done = task("rt-1", "SUCCEEDED", video_url=talking)
    server.reply("GET", "/api/v1/tasks/rt-1", done | {"usage": {"video_duration": 3.0}})
    backend = VideoRetalk(api_key=KEY, base_url=server.base_url, price_per_second=0.08)
    request = LipSyncRequest(
        shot=3, speaker="Lena", video="shots/003.mp4", audio="voice-003.wav", offset_seconds=0.5
    )
    out = root / "lipsync" / "003.mp4"

    result = backend.sync(request, root, out)

    (policy_request,) = server.sent("GET", UPLOADS)
    assert policy_request["query"] == {"action": ["getPolicy"], "model": ["videoretalk"]}
    stored = uploads(server)
    assert set(stored) == {f"{folder}/003.mp4", f"{folder}/speech.wav"}
    assert stored[f"{folder}/003.mp4"] == media["shot"].read_bytes()
    placed = tmp_path / "placed.wav"
    placed.write_bytes(stored[f"{folder}/speech.wav"])
    assert probe(placed)["duration"] == pytest.approx(3.0, abs=0.05)  # 0.5 s + 1.2 s, padded
    (submit,) = server.sent("POST", SUBMIT_RETALK)
    assert submit["headers"]["X-DashScope-Async"] == "enable"
    assert submit["headers"]["X-DashScope-OssResourceResolve"] == "enable"
    assert submit["body"] == {
        "model": "videoretalk",
        "input": {
            "video_url": f"oss://{folder}/003.mp4",
            "audio_url": f"oss://{folder}/speech.wav",
        },
        "parameters": {"video_extension": False},
    }
    info = probe(out)
    assert (info["video"], info["width"], info["height"], "audio" in info) == (
        "h264",
        720,
        1280,
        False,
    )
    assert info["duration"] == pytest.approx(3.0, abs=0.05)
    assert result.cost == pytest.approx(0.24)
    assert result.meta["task_id"] == "rt-1"


def test_videoretalk_reads_nothing_outside_the_render_folder_nor_missing_files(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path
) -> None:
    root = tmp_path / "render"
    root.mkdir()
    (root / "line.wav").write_bytes(media["line"].read_bytes())
    (tmp_path / "secret.mp4").write_bytes(media["shot"].read_bytes())
    request = LipSyncRequest(shot=1, speaker="Lena", video="../secret.mp4", audio="line.wav")

    with pytest.raises(RenderError, match=r"secret\.mp4.* inside the render folder"):
        VideoRetalk(api_key=KEY, base_url=server.base_url).sync(request, root, root / "x.mp4")
    missing = LipSyncRequest(shot=1, speaker="Lena", video="shot-01.mp4", audio="line.wav")
    with pytest.raises(RenderError, match=r"'shot-01\.mp4' has not been rendered yet"):
        VideoRetalk(api_key=KEY, base_url=server.base_url).sync(missing, root, root / "x.mp4")
    assert server.requests == []


def test_wan_gives_each_characters_portrait_for_shots_with_characters(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path
) -> None:
    portrait = tmp_path / "lena-portrait.png"
    portrait.write_bytes(media["wan"].read_bytes()[:4096])  # any bytes: it is only uploaded
    look = CharacterLook(
        name="Lena",
        look="grey suit, silver earrings",
        seed=77,
        references=[Reference(view="portrait", sha256="a", path=str(portrait))],
    )
    request = shot_request(3.5).model_copy(update={"characters": [look]})
    folder = "dashscope-instant/77/2025-07-17/cd34"
    policy = POLICY | {"upload_dir": folder, "upload_host": server.url + "/oss"}
    server.reply("GET", UPLOADS, {"request_id": "req-policy", "data": policy})
    server.replies[("POST", "/oss")] = [(200, {}, b"")]
    server.reply("POST", SUBMIT_VIDEO, task("wan-r2v", "PENDING"))

    assert WanVideo(api_key=KEY, base_url=server.base_url).submit(request) == "wan-r2v"

    assert uploads(server) == {f"{folder}/lena-portrait.png": portrait.read_bytes()}
    (submit,) = server.sent("POST", SUBMIT_VIDEO)
    assert submit["headers"]["X-DashScope-OssResourceResolve"] == "enable"
    assert submit["body"]["model"] == "wan2.6-r2v"
    assert submit["body"]["input"]["reference_urls"] == [f"oss://{folder}/lena-portrait.png"]


SUBMIT_IMAGE = "/api/v1/services/aigc/text2image/image-synthesis"


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    """A PNG of one colour, as a picture model might return it (not the view's size)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def sheet_request(view: View, notes: str = "") -> ImageRequest:
    look = CharacterLook(name="Lena", look="grey suit, silver earrings", seed=77)
    return ImageRequest(character=look, view=view, notes=notes)


@pytest.mark.parametrize(
    ("view", "served", "size"),
    [("portrait", (1024, 1024), (720, 720)), ("figure", (768, 1344), (720, 1280))],
)
def test_wan_image_draws_a_view_at_its_size_from_the_look_and_the_notes(
    server: FakeDashScope,
    tmp_path: Path,
    view: View,
    served: tuple[int, int],
    size: tuple[int, int],
) -> None:
    url = server.serve(f"{view}.png", png(served, (200, 40, 60)))
    server.reply("POST", SUBMIT_IMAGE, task("img-1", "PENDING"))
    server.reply("GET", "/api/v1/tasks/img-1", task("img-1", "RUNNING"))
    result = {"url": url, "orig_prompt": "...", "actual_prompt": "..."}
    done = task("img-1", "SUCCEEDED", results=[result])
    server.reply("GET", "/api/v1/tasks/img-1", done | {"usage": {"image_count": 1}})
    backend = WanImage(api_key=KEY, base_url=server.base_url, price_per_call=0.02)
    out = tmp_path / "characters" / f"lena-{view}.png"

    drawn = backend.draw(sheet_request(view, notes="older, a scar over the left eye"), out)

    (submit,) = server.sent("POST", SUBMIT_IMAGE)
    assert submit["headers"]["Authorization"] == f"Bearer {KEY}"
    assert submit["headers"]["X-DashScope-Async"] == "enable"
    body = submit["body"]
    assert body["model"] == "wan2.2-t2i-flash"
    prompt = body["input"]["prompt"]
    assert "Lena" in prompt
    assert "grey suit, silver earrings" in prompt
    assert FRAMES[view] in prompt
    assert "older, a scar over the left eye" in prompt
    # the notes before the generic words: the service cuts a long prompt at its limit
    assert prompt.index("older, a scar") < prompt.index(FRAMES[view])
    assert body["input"]["negative_prompt"] == AVOID
    assert body["parameters"] == {
        "size": f"{size[0]}*{size[1]}",
        "n": 1,
        "seed": 77,
        "prompt_extend": False,
    }
    assert len(server.sent("GET", "/api/v1/tasks/img-1")) == 2
    with Image.open(out) as picture:
        assert (picture.format, picture.size) == ("PNG", size)
        assert picture.convert("RGB").getpixel((size[0] // 2, size[1] // 2)) == (200, 40, 60)
    assert drawn.path == str(out)
    assert drawn.cost == pytest.approx(0.02)
    assert drawn.meta == {"model": "wan2.2-t2i-flash", "task_id": "img-1", "view": view}


def test_wan_image_without_notes_asks_for_the_look_alone(
    server: FakeDashScope, tmp_path: Path
) -> None:
    url = server.serve("p.png", png((720, 720), (10, 10, 10)))
    server.reply("POST", SUBMIT_IMAGE, task("img-3", "PENDING"))
    server.reply("GET", "/api/v1/tasks/img-3", task("img-3", "SUCCEEDED", results=[{"url": url}]))
    plain = sheet_description(sheet_request("portrait"))

    WanImage(api_key=KEY, base_url=server.base_url).draw(sheet_request("portrait"), tmp_path / "p")

    (submit,) = server.sent("POST", SUBMIT_IMAGE)
    assert submit["body"]["input"]["prompt"] == plain
    remade = sheet_description(sheet_request("portrait", notes="older."))
    assert remade.replace(" older.", "") == plain


def test_wan_image_a_failed_task_or_no_picture_is_a_render_error_with_the_reason(
    server: FakeDashScope, tmp_path: Path
) -> None:
    server.reply("POST", SUBMIT_IMAGE, task("img-2", "PENDING"))
    failed = task(
        "img-2",
        "FAILED",
        code="DataInspectionFailed",
        message="Input data may contain inappropriate content.",
    )
    server.reply("GET", "/api/v1/tasks/img-2", failed)
    server.reply("POST", SUBMIT_IMAGE, task("img-4", "PENDING"))
    lost = {"code": "InternalError.Timeout", "message": "An internal timeout error has occured."}
    server.reply("GET", "/api/v1/tasks/img-4", task("img-4", "SUCCEEDED", results=[lost]))
    server.reply("POST", SUBMIT_IMAGE, task("img-5", "PENDING"))
    page = server.serve("error.html", b"<html>expired</html>")
    server.reply("GET", "/api/v1/tasks/img-5", task("img-5", "SUCCEEDED", results=[{"url": page}]))
    backend = WanImage(api_key=KEY, base_url=server.base_url)
    out = tmp_path / "lena-figure.png"

    with pytest.raises(RenderError) as failure:
        backend.draw(sheet_request("figure"), out)
    with pytest.raises(RenderError) as empty:
        backend.draw(sheet_request("figure"), out)
    with pytest.raises(RenderError) as garbled:
        backend.draw(sheet_request("figure"), out)

    assert str(failure.value) == (
        "dashscope (wan2.2-t2i-flash): task img-2 failed: DataInspectionFailed: "
        "Input data may contain inappropriate content."
    )
    assert str(empty.value) == (
        "dashscope (wan2.2-t2i-flash): task img-4 made no picture: InternalError.Timeout: "
        "An internal timeout error has occured."
    )
    assert (
        str(garbled.value) == "dashscope (wan2.2-t2i-flash): the picture downloaded is not an image"
    )
    assert not out.exists()


def test_wan_image_without_a_key_fails_before_any_request(
    server: FakeDashScope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)

    with pytest.raises(ConfigError, match="set DASHSCOPE_API_KEY"):
        WanImage(base_url=server.base_url).draw(sheet_request("portrait"), tmp_path / "p.png")
    assert server.requests == []
    assert not (tmp_path / "p.png").exists()


def test_wan_image_is_the_dashscope_image_backend() -> None:
    backend = registry.load("image", "dashscope", {"model": "wan2.2-t2i-plus", "api_key": KEY})

    assert isinstance(backend, WanImage)
    assert backend.label == "dashscope (wan2.2-t2i-plus)"


def wan_draws(server: FakeDashScope, colours: list[tuple[int, int, int]]) -> None:
    """Queue one finished Wan picture task per colour, each picture of that colour."""
    for n, colour in enumerate(colours, 1):
        url = server.serve(f"picture-{n}.png", png((1024, 1024), colour))
        server.reply("POST", SUBMIT_IMAGE, task(f"img-{n}", "PENDING"))
        done = task(f"img-{n}", "SUCCEEDED", results=[{"url": url}])
        server.reply("GET", f"/api/v1/tasks/img-{n}", done | {"usage": {"image_count": 1}})


def test_wan_sheets_are_paid_once_each_in_the_ledger_and_a_redraw_is_paid_again(
    server: FakeDashScope, tmp_path: Path
) -> None:
    """Each view Wan draws is one paid ledger row (what the backend bills), in the run of the
    episode that drew it; opening production again pays nothing; a redraw pays each view
    redrawn once more."""
    db = open_database(tmp_path / "writersroom.db")
    lena = sheet_request("portrait").character
    db.table("characters").insert({"name": lena.name, "look": lena.look, "seed": lena.seed})
    render = tmp_path / "render"
    backend = WanImage(api_key=KEY, base_url=server.base_url, price_per_call=0.02)
    wan_draws(server, [(200, 40, 60), (40, 60, 200), (30, 160, 90)])
    paid = "select episode, run, shot, tool, backend, file, cost, cached from ledger order by id"

    [drawn] = with_sheets(RenderCache(db, render, 1), [lena], backend, None)
    first = list(db.query(paid))
    assert first == [
        {
            "episode": 1,
            "run": 1,
            "shot": 0,
            "tool": "draw_character",
            "backend": backend.name,
            "file": f"characters/lena-{view}.png",
            "cost": pytest.approx(0.02),
            "cached": 0,
        }
        for view in VIEWS
    ]
    assert len(server.sent("POST", SUBMIT_IMAGE)) == len(VIEWS)
    kept = json.loads(db.table("characters").get(lena.name)["sheet"])
    assert [r.sha256 for r in drawn.references] == [kept[view]["sha256"] for view in VIEWS]

    [again] = with_sheets(RenderCache(db, render, 2), [lena], backend, None)
    assert list(db.query(paid)) == first  # nothing drawn, nothing paid
    assert again.references == drawn.references
    assert len(server.sent("POST", SUBMIT_IMAGE)) == len(VIEWS)

    # a redraw of one view, priced per picture by the configuration, in its episode's run
    [figure] = remake(RenderCache(db, render, 3), lena, backend, 0.05, "a red scarf", ["figure"])
    redrawn = list(db.query(paid))[len(first) :]
    assert redrawn == [
        first[1] | {"episode": 3, "run": 1, "cost": pytest.approx(0.05)}  # the figure
    ]
    assert len(server.sent("POST", SUBMIT_IMAGE)) == len(VIEWS) + 1
    assert "a red scarf" in server.sent("POST", SUBMIT_IMAGE)[-1]["body"]["input"]["prompt"]
    assert figure.sha256 != drawn.references[1].sha256
    with Image.open(figure.path) as picture:
        assert picture.convert("RGB").getpixel((360, 640)) == (30, 160, 90)


def sheeted(folder: Path) -> VideoRequest:
    """Shot 2 with Lena, who has no sheet, then Marco and Ada, whose sheets (small real PNGs of
    different colours, a portrait and a figure each) are on disk."""
    looks = [CharacterLook(name="Lena", look="grey suit", seed=77)]
    for number, name in enumerate(("Marco", "Ada")):
        sheet = []
        for view, size in (("portrait", (64, 64)), ("figure", (36, 64))):
            picture = folder / f"{name}-{view}.png"
            picture.write_bytes(png(size, (90 * number, 60 if view == "portrait" else 120, 200)))
            sheet.append(Reference(view=view, sha256=f"{name}-{view}", path=str(picture)))
        looks.append(CharacterLook(name=name, look="black coat", seed=5, references=sheet))
    return shot_request(3.5).model_copy(update={"characters": looks})


def expect_uploads(server: FakeDashScope, folder: str, files: int) -> None:
    """The temporary storage's policy, then `files` uploads answered."""
    policy = POLICY | {"upload_dir": folder, "upload_host": server.url + "/oss"}
    server.reply("GET", UPLOADS, {"request_id": "req-policy", "data": policy})
    server.replies[("POST", "/oss")] = [(200, {}, b"")] * files


def test_wan_first_frame_starts_the_shot_from_its_first_sheeted_characters_figure(
    server: FakeDashScope, tmp_path: Path
) -> None:
    request = sheeted(tmp_path)
    folder = "dashscope-instant/5/2025-07-17/ef56"
    expect_uploads(server, folder, 1)
    server.reply("POST", SUBMIT_VIDEO, task("wan-i2v", "PENDING"))
    backend = WanVideo(api_key=KEY, base_url=server.base_url, references="first-frame")

    assert backend.submit(request) == "wan-i2v"

    (policy_request,) = server.sent("GET", UPLOADS)
    assert policy_request["query"]["model"] == ["wan2.6-i2v"]
    marco = tmp_path / "Marco-figure.png"
    assert uploads(server) == {f"{folder}/Marco-figure.png": marco.read_bytes()}
    (submit,) = server.sent("POST", SUBMIT_VIDEO)
    assert submit["headers"]["X-DashScope-OssResourceResolve"] == "enable"
    body = submit["body"]
    assert body["model"] == "wan2.6-i2v"
    assert body["input"]["img_url"] == f"oss://{folder}/Marco-figure.png"
    assert "reference_urls" not in body["input"]
    assert "Marco: black coat" in body["input"]["prompt"]
    assert body["parameters"] == {
        "resolution": "720P",
        "duration": 5,
        "seed": 77,
        "prompt_extend": False,
    }


def test_wan_first_frame_leaves_a_shot_without_sheets_text_to_video(
    server: FakeDashScope,
) -> None:
    server.reply("POST", SUBMIT_VIDEO, task("wan-t2v", "PENDING"))
    backend = WanVideo(
        api_key=KEY,
        base_url=server.base_url,
        references="first-frame",
        first_frame_model="wan2.2-i2v-plus",
    )

    backend.submit(shot_request())

    (submit,) = server.sent("POST", SUBMIT_VIDEO)
    assert submit["body"]["model"] == "wan2.1-t2v-turbo"
    assert "img_url" not in submit["body"]["input"]
    assert submit["body"]["parameters"]["size"] == "720*1280"
    assert server.sent("GET", UPLOADS) == []


def test_wan_by_default_gives_every_sheeted_characters_portrait_as_references(
    server: FakeDashScope, tmp_path: Path
) -> None:
    request = sheeted(tmp_path)
    folder = "dashscope-instant/5/2025-07-17/ab78"
    expect_uploads(server, folder, 2)
    server.reply("POST", SUBMIT_VIDEO, task("wan-r2v", "PENDING"))

    WanVideo(api_key=KEY, base_url=server.base_url).submit(request)

    (submit,) = server.sent("POST", SUBMIT_VIDEO)
    assert submit["body"]["model"] == "wan2.6-r2v"
    assert "img_url" not in submit["body"]["input"]
    names = [f"{name}-portrait.png" for name in ("Marco", "Ada")]
    assert submit["body"]["input"]["reference_urls"] == [f"oss://{folder}/{n}" for n in names]
    assert uploads(server) == {f"{folder}/{n}": (tmp_path / n).read_bytes() for n in names}


def test_an_unknown_way_to_take_the_sheets_is_refused_when_the_backend_is_built() -> None:
    with pytest.raises(ConfigError, match=r"dashscope-wan: references = 'last-frame'"):
        registry.load("video", "dashscope-wan", {"references": "last-frame", "api_key": KEY})


def test_switching_wans_references_makes_the_shot_again_and_back_finds_it_made(
    server: FakeDashScope, media: dict[str, Path], tmp_path: Path
) -> None:
    request = sheeted(tmp_path)
    cast = {look.name: CastMember(look, "voice") for look in request.characters}
    plan = {2: PlannedShot(2, 1, "INT. BOARDROOM", list(cast), [], "close-up", "push-in", 3.5, "x")}
    cache = RenderCache(open_database(tmp_path / "wr.db"), tmp_path / "render", episode=1)
    clip_url = server.serve("wan.mp4", media["wan"].read_bytes())

    def render(references: str, task_id: str | None) -> None:
        """Shot 2 made by Wan taking the sheets as `references`; a new task if `task_id`."""
        if task_id:
            expect_uploads(server, f"dashscope-instant/{task_id}", 2)
            server.reply("POST", SUBMIT_VIDEO, task(task_id, "PENDING"))
            done = task(task_id, "SUCCEEDED", video_url=clip_url)
            server.reply("GET", f"/api/v1/tasks/{task_id}", done)
        wan = WanVideo(api_key=KEY, base_url=server.base_url, references=references)
        studio = Studio(
            root=tmp_path / "render" / "episode-01",
            cache=cache,
            backends={"video": wan, "lip_sync": registry.load("lip_sync", "embedded")},
            prices={},
            plan=plan,
            cast=cast,
            language="en",
        )
        call = {"name": "generate_video", "args": {"shot": 2}, "id": f"call-{references}"}
        (answer,) = studio.execute([call])
        assert answer.status == "success", answer.content

    render("subject", "wan-r2v")
    render("first-frame", "wan-i2v")
    render("subject", None)  # made before: taken from the cache, not asked for again

    models = [r["body"]["model"] for r in server.sent("POST", SUBMIT_VIDEO)]
    assert models == ["wan2.6-r2v", "wan2.6-i2v"]
