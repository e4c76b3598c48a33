"""Character reference sheets made again on request with notes: the drawing (`tools.sheets`,
the embedded backend), `writersroom sheet` on a project, and the review room's Redraw.

Real SQLite (the project's own database and migrations), real PNG files, the real CLI and app.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import answers, make_project, rows, wr
from fastapi.testclient import TestClient
from PIL import Image

from writersroom.memory import open_database
from writersroom.room.runlock import RunLock
from writersroom.tools.base import CharacterLook, ImageRequest, MediaResult
from writersroom.tools.cache import RenderCache, file_hash
from writersroom.tools.figures import COLOURS, appearance
from writersroom.tools.sheets import VIEWS, DrawnSheet, remake, with_sheets
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
