"""The review room over HTTP (FastAPI's TestClient, and `writersroom serve` as a real process):
pages, decisions, conflicts, escaping, files, tokens. The browser tests are in test_web_browser.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CLI, answers, make_project, rows, wr
from fastapi.testclient import TestClient
from PIL import Image

from writersroom.errors import Conflict
from writersroom.room.graph import compiled
from writersroom.room.project import Project
from writersroom.schemas import Decision
from writersroom.web.app import create_app
from writersroom.web.views import diff, srt_to_vtt

PREMISE = "Twin sisters swapped at birth fight over the family empire"
BASE = "http://127.0.0.1"


def started(path: Path, replies: dict | None = None) -> Path:
    """A scripted project waiting at approve_bible."""
    make_project(path, replies)
    project = Project.create(path, PREMISE)
    try:
        project.start()
    finally:
        project.close()
    return path


@pytest.fixture
def room(tmp_path: Path) -> Path:
    return started(tmp_path / "series")


@pytest.fixture
def client(room: Path) -> Iterator[TestClient]:
    with TestClient(create_app(room), base_url=BASE) as c:
        yield c


def idle(client: TestClient, timeout: float = 30) -> dict:
    """Wait for the background run to stop; return the last status."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get("/status").json()
        if not status["busy"]:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def decide(client: TestClient, checkpoint: str, revision: int, **fields: str) -> httpx.Response:
    data = {"checkpoint": checkpoint, "revision": str(revision), "action": "approve", **fields}
    return client.post("/episodes/1/decide", data=data, follow_redirects=False)


def test_pages_read_without_opening_a_project_or_compiling_the_graph(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page polls /status every 400 ms: reading is one connection, not a run's set-up."""
    opened: list[Path] = []
    original = Project.__init__

    def counted(self: Project, path: Path, *args: object, **kwargs: object) -> None:
        opened.append(path)
        original(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Project, "__init__", counted)
    compiled.cache_clear()
    for _ in range(20):
        assert client.get("/status").json()["waiting"] == [1, "approve_bible", 1]
    for page in ("/", "/episodes/1", "/episodes/1/drafts/bible"):
        assert client.get(page).status_code == 200
    assert opened == []
    assert compiled.cache_info().misses == 1  # once for the process, whatever the requests


def test_pages_show_the_waiting_bible_and_the_series(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert "waits at approve_bible" in home.text
    assert 'href="/episodes/1"' in home.text
    assert re.search(r"<td>showrunner</td><td><code>scripted:answers.json</code></td>", home.text)
    page = client.get("/episodes/1")
    assert page.status_code == 200
    assert 'data-checkpoint="approve_bible" data-revision="1"' in page.text
    assert page.text.count('class="card character"') == 3
    assert '<span class="role">twin sister</span>' in page.text
    assert 'id="changes"' not in page.text  # revision 1: nothing to compare with
    assert "Content-Security-Policy" in page.headers
    assert client.get("/episodes/7").status_code == 404


def test_revise_runs_in_the_background_then_the_diff_shows_the_change(
    client: TestClient, room: Path
) -> None:
    sent = decide(client, "approve_bible", 1, action="revise", notes="make the twin the villain")
    assert sent.status_code == 303 and sent.headers["location"] == "/episodes/1"
    status = idle(client)
    assert status["error"] is None
    assert [(s["agent"], s["task"], s["done"]) for s in status["steps"]] == [
        ("showrunner", "develop_series", True)
    ]
    assert status["waiting"] == [1, "approve_bible", 2]
    page = client.get("/episodes/1").text
    assert 'data-revision="2"' in page and '<span class="role">villain</span>' in page
    assert '<span class="removed">-   role: twin sister</span>' in page
    assert '<span class="added">+   role: villain</span>' in page
    assert rows(room, "select checkpoint, revision, action, notes from decisions") == [
        ("approve_bible", 1, "revise", "make the twin the villain")
    ]
    old = client.get("/episodes/1/drafts/bible?revision=1").text
    assert '<span class="role">twin sister</span>' in old


def test_a_stale_form_gets_a_conflict_and_never_a_second_resume(
    client: TestClient, room: Path
) -> None:
    assert decide(client, "approve_bible", 1).status_code == 303
    idle(client)
    again = decide(client, "approve_bible", 1)  # the second tab, rendered for revision 1
    assert again.status_code == 409
    assert "approve_bible revision 1 was already decided (approve)" in again.text
    assert "episode 1 now waits at approve_outline revision 1" in again.text
    assert rows(room, "select count(*) from decisions") == [(1,)]
    assert rows(room, "select count(*) from drafts where kind = 'outline'") == [(1,)]


def test_two_tabs_at_once_while_the_room_works(tmp_path: Path) -> None:
    replies = answers()
    replies["outline_episode"] = [{"reply": replies["outline_episode"][0], "delay_seconds": 2}]
    room = started(tmp_path / "slow", replies)
    with TestClient(create_app(room), base_url=BASE) as client:
        codes: list[int] = []

        def tab() -> None:
            codes.append(decide(client, "approve_bible", 1).status_code)

        tabs = [threading.Thread(target=tab) for _ in range(2)]
        for t in tabs:
            t.start()
        for t in tabs:
            t.join()
        assert sorted(codes) == [303, 409]
        working = client.get("/status").json()
        while working["busy"] and not working["working"]:  # the worker opens its project first
            time.sleep(0.02)
            working = client.get("/status").json()
        assert working["busy"] and working["working"]["agent"] == "showrunner"
        assert working["working"]["task"] == "outline_episode"
        page = client.get("/episodes/1").text
        assert "showrunner is working: outline_episode" in page
        busy = decide(client, "approve_bible", 1)
        assert busy.status_code == 409 and "still working" in busy.text
        idle(client)
    assert rows(room, "select checkpoint, action from decisions") == [("approve_bible", "approve")]
    assert rows(room, "select count(*) from usage where task = 'outline_episode'") == [(1,)]


def test_project_decide_checks_the_expected_checkpoint(room: Path) -> None:
    project = Project(room)
    try:
        not_yet = "approve_outline revision 1 is not waiting; episode 1 now waits at approve_bible"
        with pytest.raises(Conflict, match=not_yet):
            project.decide(Decision(action="approve"), expected=(1, "approve_outline", 1))
        assert project.decide(Decision(action="approve"), expected=(1, "approve_bible", 1))
        with pytest.raises(
            Conflict, match=r"approve_bible revision 1 was already decided \(approve\)"
        ):
            project.decide(Decision(action="approve"), expected=(1, "approve_bible", 1))
    finally:
        project.close()


def test_an_edit_is_validated_by_the_schemas_and_kept_when_refused(
    client: TestClient, room: Path
) -> None:
    bible = answers()["develop_series"][0]
    bible["characters"] = bible["characters"][:1]  # a bible needs at least two characters
    refused = decide(client, "approve_bible", 1, action="edit", draft=json.dumps(bible))
    assert refused.status_code == 400
    assert "the edited bible is not valid" in refused.text and "characters" in refused.text
    assert '<details class="edit" open>' in refused.text
    not_json = decide(client, "approve_bible", 1, action="edit", draft="{title: oops")
    assert not_json.status_code == 400 and "not JSON" in not_json.text
    assert "{title: oops</textarea>" in not_json.text  # the person's text is kept
    no_notes = decide(client, "approve_bible", 1, action="revise", notes="  ")
    assert no_notes.status_code == 400 and "needs notes" in no_notes.text
    assert rows(room, "select count(*) from decisions") == [(0,)]

    bible = answers()["develop_series"][0]
    bible["title"] = "Twice Born Again"
    assert decide(client, "approve_bible", 1, action="edit", draft=json.dumps(bible)).is_redirect
    idle(client)
    assert rows(room, "select revision, agent from drafts where kind = 'bible'") == [
        (1, "showrunner"),
        (2, "person"),
    ]
    assert rows(room, "select title from series") == [("Twice Born Again",)]


def test_model_output_with_html_stays_text(tmp_path: Path) -> None:
    replies = answers()
    attack = '<script>document.title="owned"</script><img src=x onerror=alert(1)>'
    replies["develop_series"][0]["characters"][0]["look"] = attack
    replies["develop_series"][0]["title"] = "<b>Bold</b> Title"
    room = started(tmp_path / "p", replies)
    with TestClient(create_app(room), base_url=BASE) as client:
        page = client.get("/episodes/1").text
        assert "<script>document.title" not in page and "<img src=x" not in page
        assert "&lt;script&gt;document.title=&#34;owned&#34;&lt;/script&gt;" in page
        assert "&lt;b&gt;Bold&lt;/b&gt; Title" in page
        notes = "<script>alert('notes')</script>"
        assert decide(client, "approve_bible", 1, action="revise", notes=notes).is_redirect
        idle(client)
        page = client.get("/episodes/1").text
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;notes&#39;)&lt;/script&gt;" in page


def test_files_come_only_from_the_render_folder(client: TestClient, room: Path) -> None:
    folder = room / "render" / "episode-01"
    folder.mkdir(parents=True)
    (folder / "shot-01.png").write_bytes(b"\x89PNG frame")
    (folder / "episode.srt").write_text("1\n00:00:00,000 --> 00:00:01,500\nYou dropped it.\n")
    (room / "render" / "escape.png").symlink_to(room / "writersroom.toml")
    assert client.get("/files/episode-01/shot-01.png").content == b"\x89PNG frame"
    for path in (
        "/files/..%2fwritersroom.toml",
        "/files/episode-01/..%2f..%2fwritersroom.db",
        "/files/%2e%2e/%2e%2e/etc/passwd",
        "/files/escape.png",
        "/files//etc/passwd",
        "/files/episode-01",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/episodes/1/subtitles.vtt").status_code == 404  # no video cut yet


def test_raw_dot_dot_paths_are_refused_by_the_real_server(tmp_path: Path) -> None:
    room = started(tmp_path / "p")
    (room / "render").mkdir()
    with served(room) as port:
        for target in ("/files/../writersroom.toml", "/files/../../../../etc/passwd"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                head = s.recv(4096).decode(errors="replace")
            assert head.startswith("HTTP/1.1 404"), head
            assert "[models]" not in head and "root:" not in head


def test_srt_becomes_webvtt() -> None:
    srt = "\ufeff1\r\n00:00:01,250 --> 00:00:03,000\r\nLIN MEI: It has my name on it.\r\n"
    assert srt_to_vtt(srt) == (
        "WEBVTT\n\n1\n00:00:01.250 --> 00:00:03.000\nLIN MEI: It has my name on it.\n"
    )


def test_a_token_is_required_when_one_is_set(room: Path) -> None:
    with TestClient(create_app(room, token="s3cret", loopback=False)) as client:
        assert client.get("/").status_code == 401
        assert client.get("/static/room.css").status_code == 401
        assert client.get("/files/x.png").status_code == 401
        assert client.get("/?token=wrong").status_code == 401
        first = client.get("/?token=s3cret")
        assert first.status_code == 200 and "httponly" in first.headers["set-cookie"].lower()
        assert client.get("/episodes/1").status_code == 200  # the cookie carries it now
    with TestClient(create_app(room, token="s3cret", loopback=False)) as client:
        client.cookies.set("writersroom_token", "s3cret")
        assert client.get("/status").status_code == 200


def test_loopback_only_and_same_origin_posts(client: TestClient) -> None:
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    cross = client.post(
        "/episodes/1/decide",
        data={"checkpoint": "approve_bible", "revision": "1", "action": "approve"},
        headers={"Origin": "http://evil.example"},
    )
    assert cross.status_code == 403
    assert client.get("/status").json()["waiting"] == [1, "approve_bible", 1]


# the command ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class served:
    """`writersroom serve` as a real process on a free port, until the block ends."""

    def __init__(self, room: Path, *args: str) -> None:
        self.port = free_port()
        self.args = ["serve", "--dir", str(room), "--port", str(self.port), *args]

    def __enter__(self) -> int:
        self.process = subprocess.Popen(
            [str(CLI), *self.args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.banner = self.process.stdout.readline()  # type: ignore[union-attr]
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self.port
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_serve_beyond_loopback_prints_a_token_and_requires_it(room: Path) -> None:
    server = served(room, "--host", "0.0.0.0")
    with server as port:
        token = re.search(r"\?token=(\S+)", server.banner)
        assert token, server.banner
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 401
        ok = httpx.get(f"http://127.0.0.1:{port}/?token={token.group(1)}")
        assert ok.status_code == 200 and "approve_bible" in ok.text


def test_serve_refuses_a_folder_that_is_no_project(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CLI), "serve", "--dir", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path} is not a writersroom project: start one with `writersroom new`"
    )


def test_the_diff_keeps_two_lines_around_each_change_and_skips_the_rest() -> None:
    first, second = answers()["develop_series"]
    lines = [(d.tag, d.text) for d in diff(first, second, "bible")]
    assert lines[0] == ("skip", "13 unchanged lines")
    assert lines[2:5] == [
        ("same", "CHARACTER Lin Yue"),
        ("removed", "  role: twin sister"),
        ("added", "  role: villain"),
    ]
    assert ("added", "  arc: the twin who stole a life and will kill to keep it") in lines
    assert lines[-1] == ("skip", "10 unchanged lines")
    assert [d.tag for d in diff(first, first, "bible")] == ["skip"]


def test_a_failed_step_is_shown_and_resumed_from_the_page(tmp_path: Path) -> None:
    replies = answers()
    good = replies["outline_episode"][0]
    replies["outline_episode"] = ["not json"] * 3 + [good]  # three attempts, all rejected
    room = started(tmp_path / "p", replies)
    with TestClient(create_app(room), base_url=BASE) as client:
        assert decide(client, "approve_bible", 1).is_redirect
        status = idle(client)
        assert status["error"].startswith("showrunner (scripted:answers.json):")
        assert [s["rejected"] for s in status["steps"]] == [3]
        page = client.get("/").text
        assert "stopped before outline_episode" in page
        assert "The run stopped: showrunner (scripted:answers.json):" in page
        assert client.post("/resume", follow_redirects=False).status_code == 303
        status = idle(client)
        assert status["error"] is None and status["waiting"] == [1, "approve_outline", 1]
        again = client.post("/resume", follow_redirects=False)
        assert again.status_code == 400 and "waits at approve_outline" in again.text


def test_the_continuity_override_is_offered_and_recorded(tmp_path: Path) -> None:
    """A script whose continuity errors block approval can be accepted with the override,
    as `approve --override` does; the decision records it."""
    replies = answers()
    scene = replies["write_script"][0]["scenes"][0]
    scene["action"] = "Lin Yue pushes Chen Hao from the balcony. He falls and dies."
    room = started(tmp_path / "p", replies)
    with TestClient(create_app(room), base_url=BASE) as client:
        for checkpoint in ("approve_bible", "approve_outline"):
            assert decide(client, checkpoint, 1).is_redirect
            idle(client)
        page = client.get("/episodes/1").text
        assert "dead character" in page and 'name="override"' in page
        revision = rows(
            room, "select max(revision) from drafts where episode = 1 and kind = 'script'"
        )[0][0]
        refused = decide(client, "approve_script", revision)
        assert refused.status_code == 400 and "approve --override" in refused.text
        assert rows(room, "select count(*) from decisions where checkpoint = 'approve_script'") == [
            (0,)
        ]
        assert decide(client, "approve_script", revision, override="on").is_redirect
        idle(client)
        assert rows(
            room,
            "select action, by, override from decisions where checkpoint = 'approve_script'",
        ) == [("approve", "person", 1)]
        assert "continuity override" in client.get("/episodes/1").text


def test_character_sheets_show_beside_the_bible(tmp_path: Path) -> None:
    """Production draws each character's reference sheet once; the bible shows it."""
    project = make_project(tmp_path / "p", production=True)
    done = wr("run", "Twin sisters fight over an empire", "--auto", "--dir", str(project))
    assert done.returncode == 0, done.stderr
    cast = [c["name"] for c in answers()["develop_series"][0]["characters"]]
    stored = dict(rows(project, "select name, sheet from characters"))
    with TestClient(create_app(project), base_url=BASE) as client:
        page = client.get("/episodes/1/drafts/bible").text
        for name in cast:
            sheet = json.loads(stored[name])
            assert set(sheet) == {"portrait", "figure"}
            for view, size in (("portrait", (720, 720)), ("figure", (720, 1280))):
                source = f"/files/{sheet[view]['file']}"
                version = sheet[view]["sha256"][:12]  # a sheet drawn again is a new address
                assert f'src="{source}?v={version}" alt="{name}, {view}"' in page
                image = client.get(source)
                assert image.headers["content-type"] == "image/png"
                assert hashlib.sha256(image.content).hexdigest() == sheet[view]["sha256"]
                assert Image.open(io.BytesIO(image.content)).size == size
