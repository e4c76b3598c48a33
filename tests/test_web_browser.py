"""The review room end to end in a real headless Chromium: Debian's /usr/bin/chromium, driven by
the Playwright package's own driver (no browser download), against `writersroom serve` running
as a real process on a scripted project.

Set WRITERSROOM_SCREENSHOTS=docs to write the checkpoint pages' screenshots for the README.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import answers, make_project, rows, wr
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from test_web import served

PREMISE = "Twin sisters swapped at birth fight over the family empire"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("WRITERSROOM_SCREENSHOTS")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: `.ci/run` installs it (apt-get)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user data dir
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        yield context
        context.close()


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def waits_at(page: Page, checkpoint: str, revision: int = 1) -> None:
    section = page.locator("#checkpoint")
    expect(section).to_have_attribute("data-checkpoint", checkpoint)
    expect(section).to_have_attribute("data-revision", str(revision))


def test_read_revise_approve_to_the_shot_list_and_play_the_cut(
    tmp_path: Path, browser: BrowserContext
) -> None:
    replies = answers()
    # the revision is slow enough to watch the showrunner at work
    replies["develop_series"][1] = {"reply": replies["develop_series"][1], "delay_seconds": 1.5}
    replies["check_continuity"] = [
        {
            "issues": [
                {
                    "kind": "appearance",
                    "severity": "warning",
                    "scene": 2,
                    "line": 1,
                    "description": "Chen Hao steps out of the dark in a navy suit at night",
                    "evidence": "bible: tall, rimless glasses, navy suit",
                }
            ]
        }
    ]
    project = make_project(tmp_path / "twins", replies, production=True)
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    with served(project) as port:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.locator("table.episodes")).to_contain_text("waits at approve_bible")
        page.get_by_role("link", name="Review bible revision 1").click()

        # read the bible: a cast sheet
        waits_at(page, "approve_bible")
        cast = page.locator(".character")
        expect(cast).to_have_count(3)
        expect(cast.nth(1).locator(".role")).to_have_text("twin sister")
        expect(page.locator(".secrets").first).to_contain_text("real heir of the Lin group")

        # send it back with a note; see who works, then the revised bible and what changed
        page.fill("#notes", "make the twin the villain")
        page.click("#revise")
        expect(page.locator("#status-now")).to_have_text("showrunner is working: develop_series…")
        waits_at(page, "approve_bible", revision=2)
        expect(cast.nth(1).locator(".role")).to_have_text("villain")
        expect(page.locator("#changes .added")).to_contain_text(["+   role: villain"])
        expect(page.locator("#changes .removed")).to_contain_text(["-   role: twin sister"])
        expect(page.locator("#status-steps li")).to_contain_text(
            ["showrunner · develop_series · scripted:answers.json"]
        )
        screenshot(page, "review-bible.png", tmp_path)

        # the outline: a beat board with timings; a second tab, asleep, open on it too
        page.click("#approve")
        waits_at(page, "approve_outline")
        beats = page.locator(".beats .beat .at")
        expect(beats).to_have_text(["0:00", "0:05", "0:30", "1:00", "turn", "1:30"])
        expect(page.locator(".beat.cliffhanger")).to_contain_text("security feed")
        screenshot(page, "review-outline.png", tmp_path)
        stale = asleep(browser, f"http://127.0.0.1:{port}/episodes/1")
        waits_at(stale, "approve_outline")

        # the script in screenplay layout, the editor's critique and continuity beside it
        page.click("#approve")
        waits_at(page, "approve_script")
        expect(page.locator(".screenplay .character").first).to_have_text("LIN YUE")
        expect(page.locator(".screenplay .paren").first).to_have_text("(smiling)")
        expect(page.locator(".review .critique")).to_contain_text("Tighten scene 2")
        issue = page.locator(".review .issues li.warning")
        expect(issue).to_contain_text("scene 2, line 1")
        screenshot(page, "review-script.png", tmp_path)

        # the second tab decides the outline again: a conflict, not a second run
        refused = decide_in(stale)
        assert refused == 409
        expect(stale.locator("#message")).to_contain_text(
            "approve_outline revision 1 was already decided (approve); "
            "episode 1 now waits at approve_script revision 1"
        )
        assert rows(project, "select count(*) from drafts where kind = 'script'") == [(1,)]

        # the shot list as a table
        page.click("#approve")
        waits_at(page, "approve_shots")
        expect(page.locator(".shotlist tbody tr")).to_have_count(4)
        expect(page.locator(".shotlist .said").first).to_contain_text("You dropped something")
        screenshot(page, "review-shots.png", tmp_path)

        # approved: production and the cut run in the background; meanwhile no decision
        stale = asleep(browser, f"http://127.0.0.1:{port}/episodes/1")
        page.click("#approve")
        expect(page.locator("#status")).to_be_visible()
        assert decide_in(stale) == 409
        expect(stale.locator("#message")).to_contain_text("the room is still working")

        # the episode, cut: every shot's rendered frame, and the video plays with subtitles
        ended = page.locator(".state .chip.done, .state .chip.failed")
        expect(ended).to_be_visible(timeout=240_000)
        assert ended.inner_text() == "cut", page.locator("#status").inner_text()
        expect(page.locator(".shotlist tbody tr")).to_have_count(4)
        expect(page.locator(".shotlist td.thumb video")).to_have_count(4)
        video = page.locator("#episode-video")
        expect(video).to_have_count(1)
        # the subtitles are burned into the cut; the track (off by default) has them as text
        page.evaluate("document.getElementById('episode-video').textTracks[0].mode = 'hidden'")
        expect(page.locator("#episode-video track")).to_have_js_property("readyState", 2)
        played = page.evaluate(
            """async () => {
                const v = document.getElementById('episode-video');
                v.muted = true;
                await v.play();
                await new Promise(r => setTimeout(r, 1000));
                v.pause();
                const track = v.textTracks[0];
                return {time: v.currentTime, width: v.videoWidth, height: v.videoHeight,
                        mode: track.mode, first: track.cues[0].text, cues: track.cues.length};
            }"""
        )
        assert played["time"] > 0.3 and (played["width"], played["height"]) == (720, 1280)
        assert played["mode"] == "hidden" and played["cues"] == 4
        assert played["first"] == "You dropped something, cleaner."
        decided = "select checkpoint, count(*) from decisions group by checkpoint order by 1"
        assert rows(project, decided) == [
            ("approve_bible", 2),
            ("approve_outline", 1),
            ("approve_script", 1),
            ("approve_shots", 1),
        ]
        page.evaluate("document.getElementById('episode-video').currentTime = 6.5")
        screenshot(page, "review-episode.png", tmp_path)


def asleep(browser: BrowserContext, url: str) -> Page:
    """A tab whose script never runs: it keeps showing what it was rendered with."""
    tab = browser.new_page()
    tab.route("**/static/room.js", lambda route: route.abort())
    tab.goto(url)
    return tab


def decide_in(tab: Page) -> int:
    """Approve in `tab`; the HTTP status of the answer."""
    with tab.expect_navigation() as answer:
        tab.click("#approve")
    assert answer.value is not None
    return answer.value.status


def test_a_draft_containing_script_renders_as_text(tmp_path: Path, browser: BrowserContext) -> None:
    replies = answers()
    look = '<script>window.owned = "look"</script> grey trench coat'
    replies["develop_series"][0]["characters"][0]["look"] = look
    replies["develop_series"][0]["title"] = '<img src=x onerror="window.owned = 1">Twice Born'
    project = make_project(tmp_path / "p", replies, production=True)
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    with served(project) as port:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{port}/episodes/1")
        expect(page.locator(".character dd").first).to_have_text(look)
        expect(page.locator(".series-card h2")).to_have_text(
            '<img src=x onerror="window.owned = 1">Twice Born'
        )
        assert page.locator("main script, main img").count() == 0
        page.fill("#notes", "<script>window.owned = 'notes'</script> keep it")
        page.click("#revise")
        waits_at(page, "approve_bible", revision=2)
        expect(page.locator(".decisions td.notes")).to_have_text(
            "<script>window.owned = 'notes'</script> keep it"
        )
        assert page.evaluate("window.owned") is None and not errors


def test_a_page_follows_a_decision_taken_elsewhere(tmp_path: Path, browser: BrowserContext) -> None:
    project = make_project(tmp_path / "p", production=True)
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    with served(project) as port:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/episodes/1")
        waits_at(page, "approve_bible")
        assert wr("approve", "--dir", str(project)).returncode == 0  # on the command line
        waits_at(page, "approve_outline")  # the page reloaded itself
        expect(page.locator(".beat.hook")).to_contain_text("Mei drops a tray")
