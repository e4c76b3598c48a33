"""The review room's pages: series, episodes, the waiting checkpoint, drafts and renders, and
a character's reference sheet drawn again on request.

Server-rendered Jinja2 (autoescaped: a draft is model output and stays text), one worker
thread for the run (see `runner.py`), files served only from the project's render folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import parse_qs

import jinja2
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as InPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from writersroom.errors import Busy, Conflict, InputError, WritersroomError
from writersroom.handoff import downloads
from writersroom.limits import MAX_EPISODE, MAX_REVISION, parse_draft
from writersroom.memory import costs
from writersroom.room.answers import summarize
from writersroom.room.checkpoints import BIBLE_EPISODE
from writersroom.room.project import ProjectView
from writersroom.schemas import Decision
from writersroom.tools import sheets
from writersroom.tools.base import View
from writersroom.web import security
from writersroom.web.runner import Runner
from writersroom.web.views import (
    clock,
    diff,
    episode_media,
    render_file,
    sheet_notes,
    spoken,
    srt_to_vtt,
)

KINDS = ("bible", "outline", "script", "shots")


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("writersroom.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["clock"] = clock
    env.filters["sheet_notes"] = sheet_notes
    return Jinja2Templates(env=env)


# numbers in addresses stay far inside SQLite's integers; out of range is "no such page"
Episode = Annotated[int, InPath(ge=1, le=MAX_EPISODE)]
Revision = Annotated[int | None, Query(ge=1, le=MAX_REVISION)]
MAX_FORM_FIELDS = 20
LOCAL_PAGE = re.compile(r"/(?!/)[\w/-]*")  # where a form may send the browser back to


def _draft_episode(kind: str, episode: int) -> int:
    return BIBLE_EPISODE if kind == "bible" else episode


def create_app(
    path: Path,
    token: str | None = None,
    loopback: bool = True,
    max_body: int = security.MAX_BODY_BYTES,
) -> FastAPI:
    """The app for the project folder `path`.

    Args:
        token: when given, every request must carry it (query `token=` once, then a cookie).
        loopback: the server listens on a loopback address only; refuse other Host names
            (a page elsewhere cannot reach it through DNS rebinding).
        max_body: the largest request body taken, in bytes (413 beyond it, before reading it).
    """
    path = path.resolve()
    runner = Runner(path)
    templates = _templates()
    app = FastAPI(title="writersroom review room", docs_url=None, redoc_url=None, openapi_url=None)
    security.install(app, token, loopback, max_body)
    app.mount("/static", StaticFiles(packages=[("writersroom.web", "static")]), name="static")
    app.state.runner = runner

    @contextmanager
    def opened() -> Iterator[ProjectView]:
        """The project as the pages read it (the runner opens a full `Project` to act)."""
        project = ProjectView(path)
        try:
            yield project
        finally:
            project.close()

    def page(request: Request, name: str, status_code: int = 200, **values: Any) -> Response:
        values |= {"runner": runner.status(), "project_dir": str(path)}
        return templates.TemplateResponse(request, name, values, status_code=status_code)

    def message(request: Request, status_code: int, title: str, text: str, back: str) -> Response:
        return page(request, "message.html", status_code, title=title, text=text, back=back)

    def episode_page(request: Request, number: int, status_code: int = 200, **extra: Any):
        with opened() as project:
            if project.memory.series() is None or number < 1:
                raise HTTPException(404, "no such episode")
            row = project.memory.episode(number)
            if row is None:
                raise HTTPException(404, f"episode {number} has not started")
            waiting = project.pending(number)
            checkpoint = None
            if waiting is not None:
                checkpoint = _checkpoint_view(project, waiting.payload, number)
            drafts = {
                kind: project.memory.revisions(_draft_episode(kind, number), kind) for kind in KINDS
            }
            shots = project.memory.draft(number, "shots") if waiting is None else None
            said = _spoken(project, "shots", shots["content"], number) if shots else {}
            values = {
                "series": project.memory.series(),
                "episode": row,
                "stopped": waiting is None and bool(project.next_nodes(number)),
                "checkpoint": checkpoint,
                "drafts": drafts,
                "shots": shots["content"] if shots else None,
                "spoken": checkpoint["spoken"] if checkpoint else said,
                "decisions": project.memory.decisions(number),
                "media": episode_media(path, number),
                "error": None,
                "notes": "",
                "draft_text": None,
                "sheets": project.memory.sheets(),
            }
        return page(request, "episode.html", status_code, **(values | extra))

    @app.get("/")
    def index(request: Request) -> Response:
        with opened() as project:
            series = project.memory.series()
            episodes = []
            for row in project.memory.episodes():
                waiting = project.pending(row["number"])
                stopped = () if waiting else project.next_nodes(row["number"])
                episodes.append({**row, "waiting": waiting, "stopped": stopped})
            usage = project.memory.usage_by_agent()
            spent = costs.by_episode(project.db)
            return page(
                request, "index.html", series=series, episodes=episodes, usage=usage, costs=spent
            )

    @app.get("/episodes/{number}")
    def episode(request: Request, number: Episode) -> Response:
        return episode_page(request, number)

    @app.get("/episodes/{number}/drafts/{kind}")
    def draft(request: Request, number: Episode, kind: str, revision: Revision = None) -> Response:
        if kind not in KINDS:
            raise HTTPException(404, f"no kind of draft called {kind}")
        with opened() as project:
            where = _draft_episode(kind, number)
            row = project.memory.draft(where, kind, revision)
            if row is None:
                raise HTTPException(404, f"no {kind} revision {revision or ''} yet")
            previous = project.memory.draft(where, kind, row["revision"] - 1)
            return page(
                request,
                "draft.html",
                series=project.memory.series(),
                number=number,
                kind=kind,
                row=row,
                revisions=project.memory.revisions(where, kind),
                changes=diff(previous["content"], row["content"], kind) if previous else None,
                media=episode_media(path, number),
                spoken=_spoken(project, kind, row["content"], number),
                sheets=project.memory.sheets(),
            )

    async def posted(request: Request) -> dict[str, str] | Response:
        """The posted form's fields (the first value of each), or the page refusing it."""
        try:
            body = (await request.body()).decode("utf-8")
            fields = parse_qs(body, True, max_num_fields=MAX_FORM_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return message(
                request, 400, "Not a form", "the form's body is not UTF-8 form data", "/"
            )
        return {k: v[0] for k, v in fields.items()}

    @app.post("/episodes/{number}/decide")
    async def decide(request: Request, number: Episode) -> Response:
        form = await posted(request)
        if isinstance(form, Response):
            return form
        return await run_in_threadpool(_decide, request, number, form)

    def _decide(request: Request, number: int, form: dict[str, str]) -> Response:
        back = f"/episodes/{number}"
        notes, text = form.get("notes", ""), form.get("draft")
        try:
            expected = (number, form["checkpoint"], int(form["revision"]))
            action = form["action"]
            draft = parse_draft(text) if action == "edit" and text is not None else None
            override = form.get("override") == "on"  # accept despite continuity errors
            decision = Decision(
                action=action,  # type: ignore[arg-type]
                notes=notes,
                draft=draft,
                override=override,
            )
            runner.decide(decision, expected)
        except Busy as exc:
            return message(request, 409, "The room is busy", str(exc), back)
        except Conflict as exc:
            return message(request, 409, "Already decided", str(exc), back)
        except (KeyError, ValueError) as exc:  # a form without its fields, bad JSON, bad values
            return episode_page(
                request, number, 400, error=_problem(exc), notes=notes, draft_text=text
            )
        except InputError as exc:
            return episode_page(request, number, 400, error=str(exc), notes=notes, draft_text=text)
        return RedirectResponse(back, status_code=303)

    @app.post("/sheets")
    async def redraw(request: Request) -> Response:
        """Draw a character's reference sheet again with the form's notes, then go back."""
        form = await posted(request)
        if isinstance(form, Response):
            return form
        return await run_in_threadpool(_redraw, request, form)

    def _redraw(request: Request, form: dict[str, str]) -> Response:
        back = form.get("back", "/")
        back = back if LOCAL_PAGE.fullmatch(back) else "/"
        view = form.get("view", "both")
        if view != "both" and view not in sheets.VIEWS:
            problem = f"no view called {view!r}: portrait, figure or both"
            return message(request, 400, "Not redrawn", problem, back)
        views = sheets.VIEWS if view == "both" else (cast(View, view),)
        try:
            runner.redraw(form.get("name", ""), form.get("notes", ""), views)
        except Conflict as exc:  # a run here, or another process's (Busy)
            return message(request, 409, "The room is busy", str(exc), back)
        except WritersroomError as exc:
            code = 400 if isinstance(exc, InputError) else 500
            return message(request, code, "Not redrawn", str(exc), back)
        return RedirectResponse(back, status_code=303)

    @app.post("/resume")
    def resume(request: Request) -> Response:
        try:
            runner.resume()
        except Busy as exc:
            return message(request, 409, "The room is busy", str(exc), "/")
        except Conflict as exc:
            return message(request, 409, "Already running", str(exc), "/")
        except InputError as exc:
            return message(request, 400, "Nothing to resume", str(exc), "/")
        return RedirectResponse("/", status_code=303)

    @app.get("/status")
    def status() -> JSONResponse:
        with opened() as project:
            waiting = project.pending() if project.memory.series() else None
        body = runner.status() | {
            "waiting": [waiting.episode, waiting.checkpoint, waiting.revision] if waiting else None
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.get("/files/{relative:path}")
    def files(relative: str) -> FileResponse:
        target = render_file(path, relative) if len(relative) <= 1024 else None
        if target is None:
            raise HTTPException(404, "no such file in the project's render folder")
        return FileResponse(target)

    @app.get("/episodes/{number}/download/{kind}")
    def download(request: Request, number: Episode, kind: str) -> Response:
        """The episode's script or cut in another tool's format, made on request."""
        if kind not in downloads.KINDS:
            raise HTTPException(404, f"no download called {kind}")
        try:
            with opened() as project:
                target = downloads.make(path, project.memory, number, kind)
        except InputError as exc:
            return message(request, 409, "Not ready", str(exc), f"/episodes/{number}")
        return FileResponse(target, filename=target.name)

    @app.get("/episodes/{number}/subtitles.vtt")
    def subtitles(number: Episode) -> Response:
        media = episode_media(path, number)
        target = render_file(path, media.subtitles) if media.subtitles else None
        if target is None:
            raise HTTPException(404, "this episode has no subtitles yet")
        text = target.read_text(encoding="utf-8", errors="replace")
        return Response(srt_to_vtt(text), media_type="text/vtt; charset=utf-8")

    @app.exception_handler(StarletteHTTPException)
    def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        title = "Not found" if exc.status_code == 404 else f"Refused ({exc.status_code})"
        return message(request, exc.status_code, title, str(exc.detail), "/")

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        where = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        if "path" in where:
            return message(request, 404, "Not found", "no such page in the review room", "/")
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()[:3]
        )
        return message(request, 400, "Refused (400)", problems, "/")

    return app


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"the form lacks its {exc} field"
    if isinstance(exc, json.JSONDecodeError):
        return f"the edited draft is not JSON: {exc}"
    if isinstance(exc, ValidationError):
        return summarize(exc)
    return str(exc)


def _spoken(project: ProjectView, kind: str, draft: dict[str, Any], number: int) -> dict:
    """For a shot list, each shot's dialogue from the episode's latest script."""
    if kind != "shots":
        return {}
    script = project.memory.draft(number, "script")
    return spoken(draft, script["content"] if script else None)


def _checkpoint_view(project: ProjectView, payload: dict[str, Any], number: int) -> dict[str, Any]:
    """What the page shows of a waiting checkpoint: the draft, its diff, the review."""
    kind, revision = payload["kind"], payload["revision"]
    previous = project.memory.draft(_draft_episode(kind, number), kind, revision - 1)
    return {
        "name": payload["checkpoint"],
        "kind": kind,
        "revision": revision,
        "draft": payload["draft"],
        "previous": previous,
        "changes": diff(previous["content"], payload["draft"], kind) if previous else None,
        "continuity": payload.get("continuity"),
        "critique": payload.get("critique"),
        "json": json.dumps(payload["draft"], indent=2, ensure_ascii=False),
        "spoken": _spoken(project, kind, payload["draft"], number),
    }
