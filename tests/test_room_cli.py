"""The room end to end through the CLI, on the scripted model: checkpoints, decisions, resume."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import answers, calls, killed_while_answering, make_project, rows, wr

from writersroom.evals import episodes, metrics

PREMISE = "Twin sisters swapped at birth fight over the family empire"


def test_every_checkpoint_stops_and_a_revision_carries_the_notes(project: Path) -> None:
    result = wr("new", PREMISE, "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert "approve_bible" in result.stdout
    assert [c["task"] for c in calls(project)] == ["develop_series"]

    result = wr("revise", "--notes", "make the twin the villain", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    second = calls(project, "develop_series")[1]
    prompt = second["messages"][-1]["content"]
    assert "make the twin the villain" in prompt
    assert "Twice Born" in prompt  # the previous draft is given back to revise
    assert "approve_bible (bible, revision 2)" in result.stdout

    for waits_next in ("approve_outline", "approve_script", "approve_shots"):
        result = wr("approve", "--dir", str(project))
        assert result.returncode == 0, result.stderr
        assert waits_next in result.stdout
    result = wr("approve", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert "shots approved" in result.stdout

    assert rows(project, "select episode, kind, revision, agent from drafts order by id") == [
        (0, "bible", 1, "showrunner"),
        (0, "bible", 2, "showrunner"),
        (1, "outline", 1, "showrunner"),
        (1, "script", 1, "screenwriter"),
        (1, "continuity", 1, "continuity"),
        (1, "critique", 1, "editor"),
        (1, "shots", 1, "director"),
    ]
    assert rows(
        project, "select checkpoint, revision, action, notes, by from decisions order by id"
    ) == [
        ("approve_bible", 1, "revise", "make the twin the villain", "person"),
        ("approve_bible", 2, "approve", "", "person"),
        ("approve_outline", 1, "approve", "", "person"),
        ("approve_script", 1, "approve", "", "person"),
        ("approve_shots", 1, "approve", "", "person"),
    ]
    bible = json.loads(rows(project, "select bible from series")[0][0])
    assert bible["characters"][1]["role"] == "villain"  # the approved revision is the series'
    assert rows(project, "select name from characters order by name") == [
        ("Chen Hao",),
        ("Lin Mei",),
        ("Lin Yue",),
    ]
    assert rows(project, "select status from episodes") == [("remembered",)]
    usage = rows(
        project,
        "select agent, count(*), sum(input_tokens) > 0 from usage group by agent order by agent",
    )
    assert usage == [
        ("continuity", 2, 1),  # the check, and the facts for the ledger
        ("director", 1, 1),  # the shot list (production is off)
        ("editor", 1, 1),
        ("screenwriter", 1, 1),
        ("showrunner", 3, 1),
    ]

    shown = wr("show", "bible", "--revision", "1", "--dir", str(project))
    assert shown.returncode == 0 and "twin sister" in shown.stdout
    shown = wr("show", "script", "--dir", str(project))
    assert "LIN YUE" in shown.stdout and "You dropped something, cleaner." in shown.stdout


def test_auto_runs_through_and_next_episode_builds_on_the_first(tmp_path: Path) -> None:
    replies = answers()
    for task, key in (("outline_episode", "number"), ("write_script", "episode")):
        replies[task].append({**replies[task][0], key: 2})
    project = make_project(tmp_path / "p", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert "shots approved" in result.stdout
    assert {d[0] for d in rows(project, "select by from decisions")} == {"auto"}
    assert "showrunner · scripted:answers.json" in result.stderr  # progress per agent step

    result = wr("next-episode", "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "develop_series")) == 1
    outline_prompt = calls(project, "outline_episode")[1]["messages"][-1]["content"]
    assert "Outline episode 2" in outline_prompt
    assert "Yue watches them on the security feed" in outline_prompt  # episode 1's summary
    assert rows(project, "select number, status from episodes order by number") == [
        (1, "remembered"),
        (2, "remembered"),
    ]


def test_editor_sends_the_script_back_within_the_round_limit(tmp_path: Path) -> None:
    replies = answers()
    scores = replies["review_script"][0]["scores"]
    notes = ["The hook lands too late"]
    replies["review_script"] = [  # each draft better than the last, none approved
        {"scores": {**scores, "hook": 1}, "verdict": "revise", "notes": notes},
        {"scores": {**scores, "hook": 2}, "verdict": "revise", "notes": notes},
        {"scores": {**scores, "hook": 2, "pacing": 5}, "verdict": "revise", "notes": notes},
    ]
    project = make_project(tmp_path / "p", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    scripts = calls(project, "write_script")
    assert len(scripts) == 3  # the first draft and two revise rounds (the default)
    assert "Editor: The hook lands too late" in scripts[1]["messages"][-1]["content"]
    assert rows(project, "select max(revision) from drafts where kind = 'script'") == [(3,)]


def test_a_revision_the_editor_scores_no_better_ends_the_rounds_and_the_better_draft_stands(
    tmp_path: Path,
) -> None:
    replies = answers()
    first, second = (json.loads(json.dumps(replies["write_script"][0])) for _ in range(2))
    second["scenes"][0]["action"] = "A worse draft."
    replies["write_script"] = [first, second]
    scores = replies["review_script"][0]["scores"]
    replies["review_script"] = [
        {"scores": {**scores, "hook": 2}, "verdict": "revise", "notes": ["Hook sooner"]},
        {"scores": {**scores, "hook": 2, "pacing": 1}, "verdict": "revise", "notes": ["Worse"]},
    ]
    project = make_project(tmp_path / "p", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "write_script")) == 2  # no third draft
    assert len(calls(project, "review_script")) == 2
    drafts = {
        (kind, revision): json.loads(content)
        for kind, revision, content in rows(
            project, "select kind, revision, content from drafts where kind != 'shots'"
        )
    }
    assert drafts[("script", 3)] == drafts[("script", 1)] == first  # saved again as the latest
    assert drafts[("continuity", 3)] == drafts[("continuity", 1)]
    assert drafts[("critique", 2)]["notes"] == ["Worse"]
    assert drafts[("critique", 3)] == drafts[("critique", 1)]  # the better draft's, again
    assert rows(project, "select agent from drafts where revision = 3 group by agent") == [
        ("editor",)
    ]
    [episode] = episodes.load(project)
    assert metrics.revisions(episode)["revision_rounds"] == 1
    (approved,) = rows(project, "select script from episodes")
    assert json.loads(approved[0])["scenes"][0]["action"] == first["scenes"][0]["action"]


MADE_UP = [  # what a small continuity agent invents about a first episode's living cast
    {
        "kind": "unknown_speaker",
        "severity": "error",
        "scene": 1,
        "line": 2,
        "description": "Lin Mei speaks without being introduced",
    },
    {
        "kind": "dead_character",
        "severity": "error",
        "scene": 2,
        "description": "Chen Hao has died, as his absence from scene 1 shows",
    },
]
SEEN = {  # a contradiction no rule reads: the agent's own finding
    "kind": "relationship",
    "severity": "error",
    "scene": 2,
    "line": 1,
    "description": "Chen Hao calls Mei a stranger, but the bible makes him her friend",
}


def test_the_continuity_agents_findings_go_to_the_editor_and_alone_send_nothing_back(
    tmp_path: Path,
) -> None:
    """The agent's claims the rules disprove in full are dropped, its deaths nobody has died
    are warnings; the rest stay errors for the editor and the person, and the script goes back
    only when the editor (or a rule) says so."""
    replies = answers()
    replies["check_continuity"] = [{"issues": [*MADE_UP, SEEN]}]
    project = make_project(tmp_path / "p", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "write_script")) == 1  # the editor approved: no revision round
    report = json.loads(rows(project, "select content from drafts where kind = 'continuity'")[0][0])
    weighed = {(i["kind"], i["severity"], i["found_by"]) for i in report["issues"]}
    assert weighed == {
        ("dead_character", "warning", "agent"),  # nobody has died (Lin Mei is in the cast)
        ("relationship", "error", "agent"),  # no rule reads it: it stands, for the editor
    }
    review = calls(project, "review_script")[0]["messages"][-1]["content"]
    assert "Chen Hao calls Mei a stranger" in review  # the editor reads the errors
    assert "Lin Mei speaks without" not in review and "Chen Hao has died" not in review

    scores = {**replies["review_script"][0]["scores"], "pacing": 2}
    revise = {"scores": scores, "verdict": "revise", "notes": ["Fix the archive"]}
    replies["review_script"] = [revise, replies["review_script"][0]]
    project = make_project(tmp_path / "q", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    scripts = calls(project, "write_script")
    assert len(scripts) == 2  # the editor's one revision round
    notes = scripts[1]["messages"][-1]["content"]
    assert "Editor: Fix the archive" in notes and "Chen Hao calls Mei a stranger" in notes


def test_a_shot_list_that_leaves_a_scene_out_is_completed_not_asked_again(
    tmp_path: Path,
) -> None:
    replies = answers()
    plan = replies["plan_shots"][0]
    replies["plan_shots"] = [{**plan, "shots": [s for s in plan["shots"] if s["scene"] == 1]}]
    project = make_project(tmp_path / "p", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "plan_shots")) == 1
    shots = json.loads(rows(project, "select content from drafts where kind = 'shots'")[0][0])
    assert [(s["number"], s["scene"]) for s in shots["shots"]] == [(1, 1), (2, 1), (3, 1), (4, 2)]
    assert shots["shots"][3]["lines"] == [1, 2]  # scene 2's lines, on its own shot


def test_the_editors_verdict_is_the_one_its_scores_give(tmp_path: Path) -> None:
    """ "revise" with every score passing is an approval; "approve" with one below 3 is not."""
    replies = answers()
    passing = {**replies["review_script"][0], "verdict": "revise"}  # scores of 3 and 4
    replies["review_script"] = [passing]
    project = make_project(tmp_path / "p", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "write_script")) == 1
    (critique,) = rows(project, "select content from drafts where kind = 'critique'")
    assert json.loads(critique[0])["verdict"] == "approve"

    failing = {**replies["review_script"][0], "verdict": "approve"}
    failing["scores"] = {**failing["scores"], "dialogue": 1}
    replies["review_script"] = [failing, replies["review_script"][0]]
    project = make_project(tmp_path / "q", replies)
    result = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "write_script")) == 2  # one revision round, for the dialogue


def test_edit_in_editor_is_validated_and_becomes_a_revision(project: Path, tmp_path: Path) -> None:
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    for _ in range(2):
        assert wr("approve", "--dir", str(project)).returncode == 0
    editor = tmp_path / "retitle.py"
    editor.write_text(
        "import json, sys\n"
        "d = json.load(open(sys.argv[1]))\n"
        "d['title'] = 'The Shattered Tray'\n"
        "json.dump(d, open(sys.argv[1], 'w'))\n"
    )
    result = wr("edit", "--dir", str(project), env={"EDITOR": f"{sys.executable} {editor}"})
    assert result.returncode == 0, result.stderr
    assert "approve_shots" in result.stdout
    assert rows(project, "select revision, agent from drafts where kind = 'script'") == [
        (1, "screenwriter"),
        (2, "person"),
    ]
    assert json.loads(rows(project, "select script from episodes")[0][0])["title"] == (
        "The Shattered Tray"
    )


def test_an_invalid_edit_is_refused_and_kept(project: Path, tmp_path: Path) -> None:
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    for _ in range(2):
        assert wr("approve", "--dir", str(project)).returncode == 0
    script = answers()["write_script"][0]
    script["scenes"][0]["lines"][0]["speaker"] = "Lin Wei"
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(script))
    result = wr("edit", "--file", str(draft), "--dir", str(project))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: the edited script is not valid: speakers not in the bible: Lin Wei (the cast "
        f"is: Lin Mei, Lin Yue, Chen Hao); your edit is kept in {draft}"
    ]
    assert "approve_script" in wr("status", "--dir", str(project)).stdout
    assert rows(project, "select count(*) from drafts where kind = 'script'") == [(1,)]


def test_killed_during_write_script_resumes_without_redoing_earlier_steps(tmp_path: Path) -> None:
    replies = answers()
    replies["write_script"] = [
        {"reply": replies["write_script"][0], "delay_seconds": 60},
        replies["write_script"][0],
    ]
    project = make_project(tmp_path / "p", replies)
    killed_while_answering(project, PREMISE, "write_script")

    status = wr("status", "--dir", str(project))
    assert "stopped before write_script" in status.stdout
    result = wr("resume", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert "shots approved" in result.stdout
    tasks = [c["task"] for c in calls(project)]
    assert tasks.count("develop_series") == 1
    assert tasks.count("outline_episode") == 1
    assert tasks.count("write_script") == 2
    assert rows(
        project, "select kind, revision from drafts where kind in ('bible', 'outline') order by id"
    ) == [("bible", 1), ("outline", 1)]
