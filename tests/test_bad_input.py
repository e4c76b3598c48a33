"""Bad input: one clear line on stderr, a non-zero exit, and the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import answers, make_project, rows, wr

PREMISE = "Twin sisters swapped at birth fight over the family empire"


def snapshot(project: Path) -> dict[str, list[tuple]]:
    assert rows(project, "pragma integrity_check") == [("ok",)]
    return {
        t: rows(project, f"select * from {t}")
        for t in ("series", "episodes", "drafts", "decisions", "characters")
    }


def one_error_line(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("premise", "expected"),
    [
        ("   ", "error: the premise is empty"),
        ("x" * 100_000, "error: the premise is 100,000 characters; keep it under 2,000"),
        (
            "A heiress\x07 returns\x1b[31m",
            "error: the premise contains control characters (U+0007, U+001B)",
        ),
    ],
)
def test_bad_premise_creates_nothing(tmp_path: Path, premise: str, expected: str) -> None:
    folder = tmp_path / "p"
    line = one_error_line(wr("new", premise, "--dir", str(folder)))
    assert line.startswith(expected)
    assert not (folder / "writersroom.db").exists()


def test_second_new_in_the_same_folder_is_refused(project: Path) -> None:
    assert wr("run", PREMISE, "--auto", "--dir", str(project)).returncode == 0
    before = snapshot(project)
    line = one_error_line(wr("new", "Another idea", "--dir", str(project)))
    assert "already holds a series" in line
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "I'd love to help with your drama! Here is the outline...",
            "the answer is not a JSON object",
        ),
        (
            {"title": "Only a title"},
            "the answer does not match EpisodeOutline: number: Field "
            "required; hook: Field required",
        ),
    ],
)
def test_a_model_that_always_answers_badly_fails_loudly(tmp_path: Path, reply, expected) -> None:
    replies = answers()
    replies["outline_episode"] = [reply]
    project = make_project(tmp_path / "p", replies)
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    before = snapshot(project)
    line = one_error_line(wr("approve", "--dir", str(project)))
    assert line.startswith(
        "error: showrunner (scripted:answers.json): no valid EpisodeOutline in 3 attempts; last: "
    )
    assert expected in line
    after = snapshot(project)
    assert after["drafts"] == before["drafts"]
    # the decision was taken before the failing step; the run waits to be resumed
    assert "stopped before outline_episode" in wr("status", "--dir", str(project)).stdout


def test_missing_api_key(project: Path) -> None:
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    before = snapshot(project)
    line = one_error_line(
        wr("approve", "--dir", str(project), "--model", "showrunner=openai:gpt-4.1")
    )
    assert line == (
        "error: no API key for gpt-4.1: set OPENAI_API_KEY (any non-empty value for a "
        "local server that ignores keys) or api_key in the provider's section of "
        "writersroom.toml"
    )
    assert snapshot(project)["drafts"] == before["drafts"]


def test_unreachable_endpoint(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "p",
        extra_toml='\n[providers.nowhere]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "sk-none"\nmax_retries = 0\ntimeout_seconds = 5\n',
    )
    line = one_error_line(
        wr("new", PREMISE, "--dir", str(project), "--model", "showrunner=nowhere:some-model")
    )
    assert line == (
        "error: showrunner (nowhere:some-model): cannot reach http://127.0.0.1:9/v1: "
        "check base_url and that the server is running"
    )
    assert rows(project, "pragma integrity_check") == [("ok",)]
    assert rows(project, "select count(*) from drafts") == [(0,)]


def test_approve_when_nothing_waits(project: Path) -> None:
    assert wr("run", PREMISE, "--auto", "--dir", str(project)).returncode == 0
    before = snapshot(project)
    line = one_error_line(wr("approve", "--dir", str(project)))
    assert line == (
        "error: nothing waits for a decision: episode 1 is finished; try `next-episode`"
    )
    assert snapshot(project) == before


def test_commands_outside_a_project(tmp_path: Path) -> None:
    line = one_error_line(wr("approve", "--dir", str(tmp_path)))
    assert "is not a writersroom project" in line


def test_unknown_agent_and_malformed_model_names(project: Path) -> None:
    line = one_error_line(wr("new", PREMISE, "--dir", str(project), "--model", "producer=local:x"))
    assert "unknown agent 'producer'" in line
    line = one_error_line(wr("new", PREMISE, "--dir", str(project), "--model", "editor=gpt-4.1"))
    assert "must be named provider:model" in line
    assert not (project / "writersroom.db").exists()
