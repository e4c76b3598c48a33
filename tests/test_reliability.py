"""A hostile but ordinary user's probes, as cases: every one is one line and a non-zero exit
(or a 4xx page), never a traceback; the database passes `PRAGMA integrity_check` and no draft
or decision changes. Control characters never reach a terminal or the subtitles; the review
page refuses a large body early, without reading it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import CLI, answers, make_project, rows, wr
from fastapi.testclient import TestClient

from writersroom.room.project import Project
from writersroom.web.app import create_app

PREMISE = "Twin sisters swapped at birth fight over the family empire"
HUGE = "99999999999999999999"  # beyond SQLite's 64-bit integers
NEST = "[" * 100_000 + "]" * 100_000
EVIL = "\x1b]0;pwned\x07\x1b[2J\x9b31m"  # retitle the window, clear the screen, CSI


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed project waiting at approve_script (one approved outline, one script draft)."""
    folder = make_project(tmp_path_factory.mktemp("w") / "series")
    project = Project.create(folder, PREMISE)
    try:
        project.start()
        from writersroom.schemas import Decision

        project.decide(Decision(action="approve"))
        project.decide(Decision(action="approve"))
    finally:
        project.close()
    return folder


@pytest.fixture
def series(waiting: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(waiting, tmp_path / "series"))


def state(folder: Path) -> dict[str, list[tuple]]:
    assert rows(folder, "pragma integrity_check") == [("ok",)]
    return {t: rows(folder, f"select * from {t}") for t in ("drafts", "decisions", "episodes")}


def one_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def damaged(how: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        db = folder / "writersroom.db"
        data = db.read_bytes()
        if how == "truncated":
            db.write_bytes(data[: len(data) // 3])
        elif how == "corrupted":
            db.write_bytes(data[:4096] + os.urandom(len(data) - 4096))
        else:
            db.write_text("these are my notes, not a database\n" * 200)

    return damage


def _file_under(folder: Path) -> Path:
    (folder / "afile").write_text("x")
    return folder / "afile" / "series"


# (name, the probe's arguments after the command, how to prepare the folder, expected words)
CLI_PROBES: list[tuple[str, Callable[[Path], list[str]], str]] = [
    ("db-truncated", lambda f: ["status", "--dir", str(f)], "database"),
    ("db-corrupted", lambda f: ["show", "script", "--dir", str(f)], "database"),
    ("db-not-sqlite", lambda f: ["approve", "--dir", str(f)], "not a SQLite database"),
    (
        "render-line-superscript",
        lambda f: ["render", "1", "--line", "².1=hi", "--dir", str(f)],
        'write it as SCENE.LINE="new words"',
    ),
    (
        "render-huge-episode",
        lambda f: ["render", HUGE, "--dir", str(f)],
        "less than or equal to 10000",
    ),
    (
        "show-huge-revision",
        lambda f: ["show", "bible", "--revision", HUGE, "--dir", str(f)],
        "--revision",
    ),
    (
        "show-huge-episode",
        lambda f: ["show", "script", "--episode", HUGE, "--dir", str(f)],
        "--episode",
    ),
    (
        "show-episode-zero",
        lambda f: ["show", "script", "--episode", "0", "--dir", str(f)],
        "--episode",
    ),
    ("render-episode-zero", lambda f: ["render", "0", "--dir", str(f)], "greater than or equal"),
    ("cost-huge-episode", lambda f: ["cost", "--episode", HUGE, "--dir", str(f)], "--episode"),
    ("export-huge-episode", lambda f: ["export", HUGE, "--dir", str(f)], "out of range"),
    ("memory-search-quote", lambda f: ["memory", "search", '"', "--dir", str(f)], ""),
    (
        "export-out-directory",
        lambda f: ["export", "1", "--out", str(f), "--dir", str(f)],
        "Is a directory",
    ),
    (
        "export-out-full-disk",
        lambda f: ["export", "1", "--out", "/dev/full", "--dir", str(f)],
        "No space left on device",
    ),
    (
        "new-dir-under-a-file",
        lambda f: ["new", PREMISE, "--dir", str(_file_under(f))],
        "Not a directory",
    ),
    ("serve-port-70000", lambda f: ["serve", "--port", "70000", "--dir", str(f)], "--port"),
    (
        "revise-notes-1mb",
        lambda f: ["revise", "--notes", "x" * 100_000, "--dir", str(f)],
        "the notes are 100,000 characters; keep them under 4,000",
    ),
    ("show-unknown-kind", lambda f: ["show", "poem", "--dir", str(f)], "cannot show 'poem'"),
]
PREPARE: dict[str, Callable[[Path], None]] = {
    "db-truncated": damaged("truncated"),
    "db-corrupted": damaged("corrupted"),
    "db-not-sqlite": damaged("text"),
}


@pytest.mark.parametrize(("name", "args", "words"), CLI_PROBES, ids=[p[0] for p in CLI_PROBES])
def test_cli_probe_is_one_line(
    series: Path, name: str, args: Callable[[Path], list[str]], words: str
) -> None:
    damage = PREPARE.get(name)
    before = None if damage else state(series)
    if damage:
        damage(series)
    line = one_line(wr(*args(series)))
    assert words in line, line
    if before is not None:
        assert state(series) == before
    assert not list(series.glob("render/episode-*/episode.mp4"))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("array", "[1, 2]"),
        ("string", '"a bible"'),
        ("null", "null"),
        ("nested", NEST),
        ("deep-but-parsable", "{" + '"a": {' * 40 + "}" * 40 + "}"),
        ("too-long", json.dumps({"title": "x" * 600_000})),
        ("not-utf8", b"\xff\xfe{}"),
        ("not-json", "{title: no quotes}"),
    ],
)
def test_edit_with_a_bad_file(series: Path, tmp_path: Path, name: str, content) -> None:
    file = tmp_path / "edit.json"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content, encoding="utf-8")
    before = state(series)
    line = one_line(wr("edit", "--file", str(file), "--dir", str(series)))
    assert str(file) in line
    assert state(series) == before


@pytest.mark.parametrize(
    ("editor", "words"),
    [
        ("/nonexistent/editor", "cannot be started"),
        ('vi "unclosed', "cannot be read"),
        ("false", "the editor failed"),
    ],
)
def test_edit_with_a_bad_editor(series: Path, editor: str, words: str) -> None:
    before = state(series)
    line = one_line(wr("edit", "--dir", str(series), env={"EDITOR": editor, "VISUAL": ""}))
    assert words in line
    assert state(series) == before


def test_unknown_provider_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "writersroom.toml").write_text('[models]\ndefault = "nowhere:model"\n')
    line = one_line(wr("new", PREMISE, "--dir", str(folder)))
    assert "unknown provider 'nowhere'" in line
    assert not (folder / "writersroom.db").exists()


def test_serve_on_a_busy_port_says_so_before_any_address(series: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = wr("serve", "--port", str(port), "--dir", str(series), timeout=60)
    line = one_line(result)
    assert f"cannot listen on 127.0.0.1 port {port}" in line
    assert "open at" not in result.stdout


@pytest.fixture
def nobody_copy(series: Path) -> Iterator[Path]:
    """The project in a folder whose files and folders may be read but not written."""
    root = Path(tempfile.mkdtemp(prefix="wr-ro-", dir="/tmp"))
    folder = Path(shutil.copytree(series, root / "series"))
    cache = root / "cache"
    cache.mkdir()
    os.chmod(root, 0o755)
    os.chmod(cache, 0o777)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o755)
        shutil.rmtree(root)


def as_reader(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user who cannot write the project (as root: without the capabilities that
    override file permissions)."""
    env = {**os.environ, "COLUMNS": "120", "XDG_CACHE_HOME": "/tmp"}
    drop = "-dac_override,-fowner"
    prefix = (
        ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"] if os.geteuid() == 0 else []
    )
    return subprocess.run(
        [*prefix, str(CLI), *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize("command", [["approve"], ["revise", "--notes", "darker"], ["resume"]])
def test_a_read_only_project(nobody_copy: Path, command: list[str]) -> None:
    before = state(nobody_copy)
    result = as_reader(*command, "--dir", str(nobody_copy))
    line = one_line(result)
    assert "writ" in line or "read-only" in line, line
    assert state(nobody_copy) == before


def test_show_escapes_control_characters(tmp_path: Path) -> None:
    replies = answers()
    bible = replies["develop_series"][0]
    bible["title"] = "Twice Born" + EVIL
    bible["characters"][0]["look"] = "red coat" + EVIL
    folder = make_project(tmp_path / "p", replies)
    assert wr("new", PREMISE, "--dir", str(folder)).returncode == 0
    for args in (["show", "bible"], ["status"], ["episodes"]):
        shown = wr(*args, "--dir", str(folder))
        assert shown.returncode == 0, shown.stderr
        assert not any(c in shown.stdout for c in "\x1b\x07\x9b"), args
    shown = wr("show", "bible", "--dir", str(folder)).stdout
    assert "Twice Born\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m" in shown.replace("\n", "")


def test_subtitles_and_exports_carry_no_control_characters(tmp_path: Path) -> None:
    replies = answers()
    script = replies["write_script"][0]
    first = script["scenes"][0]["lines"][0]
    first["text"] = "You dropped" + EVIL + " something."
    folder = make_project(tmp_path / "p", replies, production=True)
    done = wr("run", PREMISE, "--auto", "--dir", str(folder), timeout=900)
    assert done.returncode == 0, done.stderr
    srt = (folder / "render" / "episode-01" / "episode.srt").read_text(encoding="utf-8")
    assert "You dropped]0;pwned[2J31m something." in srt
    assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in srt)
    for args in (["export", "1"], ["export", "1", "--fountain"]):
        exported = wr(*args, "--dir", str(folder))
        assert exported.returncode == 0, exported.stderr
        assert not any(c in exported.stdout for c in "\x1b\x07\x9b")


def test_a_rejected_answer_line_has_no_markup(tmp_path: Path) -> None:
    replies = answers()
    replies["develop_series"] = ["not json at all", *replies["develop_series"]]
    folder = make_project(tmp_path / "p", replies)
    result = wr("new", PREMISE, "--dir", str(folder))
    assert result.returncode == 0, result.stderr
    assert "↻ showrunner answer rejected, asking again:" in result.stderr
    assert "[yellow]" not in result.stderr and "[/]" not in result.stderr


def test_an_unexpected_error_is_one_line_and_a_log_file(series: Path, tmp_path: Path) -> None:
    """A bug (here: a broken Python module on the path) is exit 2, one line, a traceback file."""
    plugin = tmp_path / "site"
    plugin.mkdir()
    # a `sitecustomize` that breaks one of the room's functions, as a bug would
    (plugin / "sitecustomize.py").write_text(
        "import writersroom.room.project as p\n"
        "def broken(self, *a, **k):\n    raise RuntimeError('a bug in the room')\n"
        "p.Project.pending = broken\n"
    )
    state_home = tmp_path / "state"
    result = wr(
        "status",
        "--dir",
        str(series),
        env={"PYTHONPATH": str(plugin), "XDG_STATE_HOME": str(state_home)},
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: unexpected error (RuntimeError: a bug in the room); ")
    logs = list((state_home / "writersroom" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    assert "Traceback" in logs[0].read_text() and "a bug in the room" in logs[0].read_text()


# -- the review page ------------------------------------------------------------------------


@pytest.fixture
def client(series: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(series), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as c:
        yield c


FORM = {"checkpoint": "approve_script", "revision": "1"}
WEB_PROBES = [
    ("file-nul", "GET", "/files/episode-01/a%00b.mp4", None, 404),
    ("file-long-name", "GET", "/files/" + "a" * 5000, None, 404),
    ("episode-huge", "GET", f"/episodes/{HUGE}", None, 404),
    ("episode-negative", "GET", "/episodes/-1", None, 404),
    ("draft-huge-episode", "GET", f"/episodes/{HUGE}/drafts/script", None, 404),
    ("draft-huge-revision", "GET", f"/episodes/1/drafts/bible?revision={HUGE}", None, 400),
    ("draft-text-revision", "GET", "/episodes/1/drafts/bible?revision=x", None, 400),
    ("subtitles-huge", "GET", f"/episodes/{HUGE}/subtitles.vtt", None, 404),
    ("decide-huge-episode", "POST", f"/episodes/{HUGE}/decide", FORM | {"action": "approve"}, 404),
    ("decide-not-utf8", "POST", "/episodes/1/decide", b"action=\xff\xfe", 400),
    (
        "decide-nested-edit",
        "POST",
        "/episodes/1/decide",
        FORM | {"action": "edit", "draft": NEST},
        400,
    ),
    (
        "decide-array-edit",
        "POST",
        "/episodes/1/decide",
        FORM | {"action": "edit", "draft": "[]"},
        400,
    ),
    (
        "decide-huge-revision",
        "POST",
        "/episodes/1/decide",
        FORM | {"revision": HUGE * 300, "action": "approve"},
        400,
    ),
    (
        "decide-long-notes",
        "POST",
        "/episodes/1/decide",
        FORM | {"action": "revise", "notes": "x" * 100_000},
        400,
    ),
    (
        "decide-many-fields",
        "POST",
        "/episodes/1/decide",
        "&".join(f"f{i}=1" for i in range(500)),
        400,
    ),
    (
        "decide-3mb",
        "POST",
        "/episodes/1/decide",
        FORM | {"action": "revise", "notes": "x" * 3_000_000},
        413,
    ),
    ("openapi", "GET", "/openapi.json", None, 404),
    ("docs", "GET", "/docs", None, 404),
]


@pytest.mark.parametrize(
    ("name", "method", "url", "body", "code"), WEB_PROBES, ids=[p[0] for p in WEB_PROBES]
)
def test_web_probe_is_a_4xx_with_the_headers(
    client: TestClient, series: Path, name: str, method: str, url: str, body, code: int
) -> None:
    before = state(series)
    if method == "GET":
        response = client.get(url)
    elif isinstance(body, dict):
        response = client.post(url, data=body, follow_redirects=False)
    else:
        headers = {"content-type": "application/x-www-form-urlencoded"}
        response = client.post(url, content=body, headers=headers, follow_redirects=False)
    assert response.status_code == code, (response.status_code, response.text[:500])
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Traceback" not in response.text
    assert state(series) == before
    assert not client.get("/status").json()["busy"]


def test_a_bug_in_a_page_is_a_500_with_the_headers_and_a_log(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def broken(*_: object) -> None:
        raise RuntimeError("a bug in a page")

    assert client.get("/episodes/1").status_code == 200
    monkeypatch.setattr("writersroom.web.app.episode_media", broken)
    response = client.get("/episodes/1")
    assert response.status_code == 500
    assert "Content-Security-Policy" in response.headers
    assert "RuntimeError: a bug in a page" in response.text and "Traceback" not in response.text
    logs = list((tmp_path / "state" / "writersroom" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text()


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def test_a_200_mb_post_is_refused_early_and_memory_stays_flat(series: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(CLI), "serve", "--dir", str(series), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.1)
        idle = _rss_kb(server.pid, "VmRSS")
        size = 200 * 1024 * 1024
        for declared in (True, False):  # with a Content-Length, and streamed in chunks
            sent, answer = 0, b""
            with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
                head = (
                    "POST /episodes/1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    + (
                        f"Content-Length: {size}\r\n"
                        if declared
                        else "Transfer-Encoding: chunked\r\n"
                    )
                    + "\r\n"
                )
                conn.sendall(head.encode())
                chunk = b"notes=" + b"x" * (1024 * 1024 - 6)
                conn.setblocking(False)
                while sent < size:
                    try:
                        answer += conn.recv(65536)
                        if answer:
                            break
                    except BlockingIOError:
                        pass
                    try:
                        piece = chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk)
                        conn.sendall(piece)
                        sent += len(chunk)
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                        time.sleep(0.01)
                conn.setblocking(True)
                with contextlib.suppress(OSError):
                    answer += conn.recv(65536)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
            assert b"content-security-policy" in answer.lower()
            assert sent < size // 4, sent  # refused long before the body was all sent
        peak = _rss_kb(server.pid, "VmHWM")
        assert peak - idle < 100 * 1024, (idle, peak)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert rows(series, "pragma integrity_check") == [("ok",)]
    assert rows(series, "select count(*) from decisions") == [(2,)]
