"""Character reference sheets made again on request with notes: the drawing (`tools.sheets`,
the embedded backend), `writersroom sheet` on a project, and the review room's Redraw.

Real SQLite (the project's own database and migrations), real PNG files, the real CLI and app.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import answers, make_project, rows, wr
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import BaseModel, Field

from writersroom.memory import open_database
from writersroom.room.runlock import RunLock
from writersroom.tools.base import (
    WIDTH,
    CharacterLook,
    ImageRequest,
    MediaResult,
    Reference,
    VideoRequest,
)
from writersroom.tools.cache import RenderCache, file_hash
from writersroom.tools.figures import COLOURS, appearance
from writersroom.tools.sheets import VIEWS, DrawnSheet, remake, slug, with_sheets
from writersroom.tools.storyboard import draw_scene
from writersroom.web.app import create_app

BASE = "http://127.0.0.1"
PREMISE = "Twin sisters swapped at birth fight over the family empire"
LOOK = CharacterLook(name="Mei", look="long black hair, navy suit, rimless glasses", seed=7)
NOTES = "grey streak in her hair, red dress, no glasses"


class Recording(DrawnSheet):
    """The embedded backend, keeping every request it was given."""

    def __init__(self) -> None:
        self.requests: list[ImageRequest] = []

    def draw(self, request: ImageRequest, out: Path) -> MediaResult:
        self.requests.append(request)
        return super().draw(request, out)


def cast_of(tmp_path: Path) -> tuple[Any, RenderCache]:
    """A series database with one character (as the approved bible leaves it), and a render
    cache of episode 1 over a render folder."""
    db = open_database(tmp_path / "writersroom.db")
    db.table("characters").insert({"name": LOOK.name, "look": LOOK.look, "seed": LOOK.seed})
    return db, RenderCache(db, tmp_path / "render", 1)


def stored(db: Any, name: str = LOOK.name) -> dict[str, Any]:
    return json.loads(db.table("characters").get(name)["sheet"])


def pixels(path: Path, colour: tuple[int, int, int]) -> int:
    """How many pixels of `path` are exactly `colour`."""
    image = np.asarray(Image.open(path).convert("RGB"))
    return int(np.all(image == np.array(colour), axis=-1).sum())


def test_notes_take_precedence_over_the_look() -> None:
    plain, noted = appearance(LOOK), appearance(LOOK, NOTES)
    assert plain == appearance(LOOK, "")  # no notes: the look as it always was drawn
    assert noted.hair == plain.hair == COLOURS["black"]  # a streak in it, not another colour
    assert (plain.streak, noted.streak) == (None, COLOURS["grey"])
    assert (noted.garment, noted.clothes) == ("dress", COLOURS["red"])
    assert (plain.glasses, noted.glasses) == (True, False)
    assert (noted.skin, noted.hair_style) == (plain.skin, plain.hair_style)  # the rest kept
    braided = appearance(LOOK, "auburn hair in a bob; a gold pendant, beard")
    assert (braided.hair, braided.hair_style) == (COLOURS["auburn"], "bob")
    assert (braided.accent, braided.beard) == (COLOURS["gold"], True)


def test_the_embedded_drawing_shows_the_notes(tmp_path: Path) -> None:
    backend = DrawnSheet()
    for view in VIEWS:
        before, after = tmp_path / f"{view}-look.png", tmp_path / f"{view}-notes.png"
        backend.draw(ImageRequest(character=LOOK, view=view), before)
        backend.draw(ImageRequest(character=LOOK, view=view, notes=NOTES), after)
        assert Image.open(before).size == Image.open(after).size
        assert pixels(before, COLOURS["grey"]) == 0 < pixels(after, COLOURS["grey"])  # streak
    figure = tmp_path / "figure-look.png", tmp_path / "figure-notes.png"
    assert pixels(figure[0], COLOURS["red"]) == 0 < pixels(figure[1], COLOURS["red"])  # dress
    assert pixels(figure[0], COLOURS["navy"]) > 0 == pixels(figure[1], COLOURS["navy"])


def test_a_remade_sheet_has_new_files_and_keeps_its_notes(tmp_path: Path) -> None:
    db, cache = cast_of(tmp_path)
    backend = Recording()
    [first] = with_sheets(cache, [LOOK], backend, None)
    assert [(r.view, r.notes) for r in backend.requests] == [(v, "") for v in VIEWS]
    before = {r.view: Path(r.path).read_bytes() for r in first.references}

    backend.requests.clear()
    drawn = remake(cache, LOOK, backend, None, NOTES)
    assert [(r.view, r.notes, r.character) for r in backend.requests] == [
        (v, NOTES, LOOK) for v in VIEWS
    ]
    sheet = stored(db)
    for reference in drawn:
        path = Path(reference.path)
        assert path.read_bytes() != before[reference.view]
        assert sheet[reference.view]["sha256"] == file_hash(path) == reference.sha256
        assert reference.sha256 != hashlib.sha256(before[reference.view]).hexdigest()
        assert sheet[reference.view]["notes"] == NOTES

    # a lost file is put back from the render cache, not drawn; lost there too, it is drawn
    # again with the notes it was drawn with, and the same picture
    portrait = cache.root / sheet["portrait"]["file"]
    kept = portrait.read_bytes()
    for lost_blobs, asked in ((False, []), (True, [("portrait", NOTES)])):
        portrait.unlink()
        if lost_blobs:
            shutil.rmtree(cache.blobs)
        backend.requests.clear()
        [again] = with_sheets(cache, [LOOK], backend, None)
        assert [(r.view, r.notes) for r in backend.requests] == asked
        assert portrait.read_bytes() == kept
        assert [r.sha256 for r in again.references] == [r.sha256 for r in drawn]
        assert again.notes == NOTES  # the figure's notes, for the shots

    # one view again, notes not given: drawn with its own notes; the other view untouched
    backend.requests.clear()
    [figure] = remake(cache, LOOK, backend, None, None, ("figure",))
    assert [(r.view, r.notes) for r in backend.requests] == [("figure", NOTES)]
    assert figure.view == "figure" and stored(db) == sheet


def test_remaking_one_view_of_a_character_without_a_sheet_draws_both(tmp_path: Path) -> None:
    db, cache = cast_of(tmp_path)
    backend = Recording()
    drawn = remake(cache, LOOK, backend, None, NOTES, ("portrait",))
    assert [(r.view, r.notes) for r in backend.requests] == [(v, NOTES) for v in VIEWS]
    assert [r.view for r in drawn] == list(VIEWS)
    assert {view: entry["notes"] for view, entry in stored(db).items()} == dict.fromkeys(
        VIEWS, NOTES
    )


# the command and the review room, on a project -------------------------------------------
@pytest.fixture(scope="module")
def remembered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Episode 1 written and remembered, production off: the cast is known, no sheet drawn."""
    project = make_project(tmp_path_factory.mktemp("sheets") / "series")
    done = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture
def series(remembered: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(remembered, tmp_path / "series"))


def sheet_of(project: Path, name: str) -> dict[str, Any]:
    [(sheet,)] = rows(project, "select sheet from characters where name = ?", (name,))
    return json.loads(sheet or "{}")


def test_the_sheet_command_draws_again_with_notes(series: Path) -> None:
    name = answers()["develop_series"][0]["characters"][1]["name"]
    assert sheet_of(series, name) == {}

    # no sheet yet: both views are drawn, with the notes
    done = wr("sheet", name, "--notes", NOTES, "--view", "portrait", "--dir", str(series))
    assert done.returncode == 0, done.stderr
    first = sheet_of(series, name)
    assert {view: entry["notes"] for view, entry in first.items()} == dict.fromkeys(VIEWS, NOTES)
    for entry in first.values():
        path = series / "render" / entry["file"]
        assert file_hash(path) == entry["sha256"]
        assert f"{Path('render') / entry['file']} (notes: {NOTES})" in done.stdout
    assert "made again on the next render" in done.stdout

    # one view again, with other notes (the name in another case)
    other = "green coat, glasses"
    done = wr("sheet", name.upper(), "--notes", other, "--view", "figure", "--dir", str(series))
    assert done.returncode == 0, done.stderr
    second = sheet_of(series, name)
    assert second["portrait"] == first["portrait"]
    assert second["figure"]["notes"] == other
    assert second["figure"]["sha256"] != first["figure"]["sha256"]
    figure = series / "render" / second["figure"]["file"]
    assert file_hash(figure) == second["figure"]["sha256"]
    assert pixels(figure, COLOURS["green"]) > 0


def test_the_sheet_command_refuses_clearly(series: Path) -> None:
    cast = [c["name"] for c in answers()["develop_series"][0]["characters"]]
    unknown = wr("sheet", "Nobody", "--dir", str(series))
    assert unknown.returncode == 1
    assert "no character called 'Nobody'" in unknown.stderr
    assert all(name in unknown.stderr for name in cast)
    side = wr("sheet", cast[0], "--view", "side", "--dir", str(series))
    assert side.returncode == 1 and "choose portrait or figure" in side.stderr

    lock = RunLock(series, who="writersroom render")
    lock.acquire()
    lock.running("render of episode 1")
    try:
        busy = wr("sheet", cast[0], "--notes", NOTES, "--dir", str(series))
    finally:
        lock.release()
    assert busy.returncode == 75 and "writersroom render" in busy.stderr
    assert sheet_of(series, cast[0]) == {}


def test_no_sheet_before_the_bible_is_approved(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0  # waits at approve_bible
    name = answers()["develop_series"][0]["characters"][0]["name"]
    done = wr("sheet", name, "--dir", str(project))
    assert done.returncode == 1 and "no approved bible yet" in done.stderr
    assert not (project / "render").exists()


def redraw(client: TestClient, **fields: str) -> Any:
    return client.post("/sheets", data=fields, follow_redirects=False)


def test_the_review_room_redraws_a_sheet_with_notes(series: Path) -> None:
    cast = [c["name"] for c in answers()["develop_series"][0]["characters"]]
    name, bible = cast[0], "/episodes/1/drafts/bible"
    wr("sheet", name, "--dir", str(series))  # production would have drawn it
    before = sheet_of(series, name)
    with TestClient(create_app(series), base_url=BASE) as client:
        page = client.get(bible).text
        assert 'action="/sheets"' in page and f'name="name" value="{name}"' in page

        done = redraw(client, name=name, notes=NOTES, view="both", back=bible)
        assert done.status_code == 303 and done.headers["location"] == bible
        after = sheet_of(series, name)
        for view in VIEWS:
            assert after[view]["notes"] == NOTES
            assert after[view]["sha256"] != before[view]["sha256"]
            path = series / "render" / after[view]["file"]
            assert file_hash(path) == after[view]["sha256"]
        page = client.get(bible).text
        assert NOTES in page  # under the sheet, and in the form to change them
        for view in VIEWS:
            assert f"{after[view]['file']}?v={after[view]['sha256'][:12]}" in page

        unknown = redraw(client, name="Nobody", notes="", back=bible)
        assert unknown.status_code == 400 and all(n in unknown.text for n in cast)
        elsewhere = redraw(client, name=name, notes="", back="//evil.example/")
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/"
        assert sheet_of(series, name)["portrait"]["notes"] == ""

        foreign = client.post(
            "/sheets", data={"name": name}, headers={"Origin": "http://evil.example"}
        )
        assert foreign.status_code == 403

        lock = RunLock(series, who="writersroom render")
        lock.acquire()
        lock.running("render of episode 1")
        try:
            busy = redraw(client, name=name, notes="older", back=bible)
        finally:
            lock.release()
        assert busy.status_code == 409 and "writersroom render" in busy.text
        assert sheet_of(series, name)["portrait"]["notes"] == ""


# what sheets cost, and the shots drawn as the sheet is ----------------------------------
PRICE = 0.05  # [production.prices.image]: per picture
ESTIMATE_LINE = r"{tool}\s*│\s*(\S+)\s*│\s*(\d+)\s*│\s*([\d.]+)\s*│\s*([\d.]+)"


def estimated(project: Path) -> dict[str, tuple[str, int, float, float]]:
    """`render 1 --estimate`'s lines by tool: backend, calls, seconds, cost."""
    done = wr("render", "1", "--estimate", "--dir", str(project))
    assert done.returncode == 0, done.stderr
    assert "nothing was rendered" in done.stdout
    lines = {}
    for tool in ("draw_character", "generate_video", "synthesize_voice", "assemble"):
        found = re.search(ESTIMATE_LINE.format(tool=tool), done.stdout)
        if found:
            backend, calls, seconds, cost = found.groups()
            lines[tool] = (backend, int(calls), float(seconds), float(cost))
    return lines


def first_frame(video: Path, out: Path) -> Path:
    """The video's first frame as a PNG, by the bundled ffmpeg."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    run = subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(video), "-frames:v", "1", str(out)],
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return out


def near(path: Path, colour: tuple[int, int, int], within: float = 40) -> int:
    """How many pixels of `path` are within `within` of `colour` (a frame of an H.264 video
    keeps colours only roughly)."""
    image = np.asarray(Image.open(path).convert("RGB")).astype(float)
    return int((np.linalg.norm(image - np.array(colour), axis=-1) < within).sum())


def shot_video(project: Path, shot: int) -> tuple[Path, str]:
    """The latest generate_video call of a shot: its file and its render key."""
    [(file, key)] = rows(
        project,
        "select file, key from ledger where tool = 'generate_video' and shot = ?"
        " order by id desc limit 1",
        (shot,),
    )
    return project / "render" / "episode-01" / file, key


def test_sheets_are_paid_in_the_ledger_and_the_estimate_and_shots_show_the_notes(
    series: Path, tmp_path: Path
) -> None:
    toml = series / "writersroom.toml"
    toml.write_text(
        toml.read_text() + f"[production.prices.image]\nstoryboard = {PRICE}\n", encoding="utf-8"
    )
    cast = [name for (name,) in rows(series, "select name from characters order by name")]
    views = len(cast) * len(VIEWS)
    sheet_rows = (
        "select episode, shot, backend, file, cost, cached from ledger"
        " where tool = 'draw_character' order by id"
    )

    # before anything is drawn: each view a call at the price of a picture, nothing drawn
    before = estimated(series)
    assert before["draw_character"] == ("storyboard", views, 0.0, pytest.approx(views * PRICE))
    assert before["generate_video"][0] == "storyboard"  # the other lines, as they were
    assert rows(series, "select count(*) from ledger") == [(0,)]
    assert all(sheet_of(series, name) == {} for name in cast)

    # the render draws each view once: one paid row each, no shot (0), in episode 1
    done = wr("render", "1", "--dir", str(series), timeout=300)
    assert done.returncode == 0, done.stderr
    paid = rows(series, sheet_rows)
    assert len(paid) == views
    files = {f"characters/{slug(name)}-{view}.png" for name in cast for view in VIEWS}
    assert {file for _, _, _, file, _, _ in paid} == files
    assert {(e, s, b, c, k) for e, s, b, _, c, k in paid} == {(1, 0, "storyboard", PRICE, 0)}
    for name in cast:
        for entry in sheet_of(series, name).values():
            assert file_hash(series / "render" / entry["file"]) == entry["sha256"]
    cost = wr("cost", "--episode", "1", "--dir", str(series))
    assert cost.returncode == 0, cost.stderr
    assert re.search(rf"sheets\s*│\s*draw_character\s*│\s*storyboard\s*│\s*{views}\b", cost.stdout)
    assert "draw_character" not in estimated(series)

    # shot 3 is Lin Mei's alone, shot 2 Lin Yue's
    mei = "Lin Mei"
    mei_video, mei_key = shot_video(series, 3)
    plain = first_frame(mei_video, tmp_path / "plain.png")
    _, yue_key = shot_video(series, 2)

    # rendering again draws and pays nothing
    again = wr("render", "1", "--dir", str(series), timeout=300)
    assert again.returncode == 0, again.stderr
    assert rows(series, sheet_rows) == paid

    # a redraw of the figure with notes: one paid row, in the current episode
    notes = "purple dress"
    redrawn = wr("sheet", mei, "--notes", notes, "--view", "figure", "--dir", str(series))
    assert redrawn.returncode == 0, redrawn.stderr
    assert rows(series, sheet_rows) == [
        *paid,
        (1, 0, "storyboard", f"characters/{slug(mei)}-figure.png", PRICE, 0),
    ]
    assert "draw_character" not in estimated(series)

    # her shots are made again and show the notes; a shot without her keeps its key
    shots = wr("render", "1", "--dir", str(series), timeout=300)
    assert shots.returncode == 0, shots.stderr
    assert len(rows(series, sheet_rows)) == views + 1
    noted_video, noted_key = shot_video(series, 3)
    assert noted_key != mei_key
    noted = first_frame(noted_video, tmp_path / "noted.png")
    purple = COLOURS["purple"]
    assert near(noted, purple) > near(plain, purple) + 2000
    assert shot_video(series, 2)[1] == yue_key
    run = rows(series, "select max(run) from ledger where episode = 1")[0][0]
    made = rows(
        series,
        "select shot, cached from ledger where tool = 'generate_video' and run = ? order by shot",
        (run,),
    )
    assert made == [(1, 0), (2, 1), (3, 0), (4, 0)]  # Lin Mei is in shots 1, 3 and 4


def test_the_storyboard_draws_a_character_with_their_notes() -> None:
    shot = VideoRequest(
        shot=1,
        visual_prompt="Mei waits in the lobby",
        framing="medium",
        camera="static",
        duration_seconds=2,
        characters=[LOOK],
    )
    noted = shot.model_copy(update={"characters": [LOOK.model_copy(update={"notes": NOTES})]})
    plain_frame, _ = draw_scene(shot, WIDTH)
    noted_frame, _ = draw_scene(noted, WIDTH)
    red = np.array(COLOURS["red"])
    plain_red = int(np.all(np.asarray(plain_frame) == red, axis=-1).sum())
    noted_red = int(np.all(np.asarray(noted_frame) == red, axis=-1).sum())
    assert plain_red == 0 < noted_red  # the notes' red dress


class LookBefore(BaseModel):
    """CharacterLook as it was before looks had notes."""

    name: str
    look: str
    seed: int
    references: list[Reference] = Field(default_factory=list)


class ShotBefore(VideoRequest):
    characters: list[LookBefore] = Field(default_factory=list)  # type: ignore[assignment]


def test_a_look_without_notes_keeps_the_render_key_it_had(tmp_path: Path) -> None:
    _, cache = cast_of(tmp_path)
    reference = Reference(view="figure", sha256=hashlib.sha256(b"sheet").hexdigest(), path="x")
    look = LOOK.model_copy(update={"references": [reference]})
    shot = {
        "shot": 1,
        "visual_prompt": "Mei waits in the lobby",
        "framing": "medium",
        "camera": "static",
        "duration_seconds": 2,
    }
    before = ShotBefore(**shot, characters=[LookBefore(**look.model_dump(exclude={"notes"}))])
    now = VideoRequest(**shot, characters=[look])
    noted = VideoRequest(**shot, characters=[look.model_copy(update={"notes": NOTES})])

    def key(request: BaseModel) -> str:
        return cache.key("generate_video", "storyboard", request, {})

    assert key(now) == key(before)
    assert key(noted) != key(before)
