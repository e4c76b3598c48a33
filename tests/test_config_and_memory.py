"""Project configuration and the series memory's schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from writersroom.config import DEFAULT_TOML, ProjectConfig, load_config, parse_overrides
from writersroom.errors import ConfigError
from writersroom.memory import MIGRATIONS, Memory, migrate, open_database


def test_the_default_file_is_valid_and_names_the_embedded_model(tmp_path: Path) -> None:
    (tmp_path / "writersroom.toml").write_text(DEFAULT_TOML)
    config = load_config(tmp_path)
    assert config.model_for("editor") == "local:qwen2.5-coder-1.5b"
    assert config.room.checkpoints == [
        "approve_bible",
        "approve_outline",
        "approve_script",
        "approve_shots",
    ]
    assert config.provider("openai").api_key_env == "OPENAI_API_KEY"
    assert config.memory.prompt_tokens == 600  # series memory in each prompt, chars / 4


def test_models_per_agent_with_run_overrides(tmp_path: Path) -> None:
    (tmp_path / "writersroom.toml").write_text(
        '[models]\ndefault = "local:qwen2.5-coder-1.5b"\nshowrunner = "openai:gpt-4.1"\n'
        '[providers.deepseek]\nkind = "openai"\nbase_url = "https://api.deepseek.com"\n'
        'api_key_env = "DEEPSEEK_API_KEY"\n'
    )
    config = load_config(tmp_path).with_models(
        parse_overrides(["continuity=deepseek:deepseek-chat"])
    )
    assert config.model_for("showrunner") == "openai:gpt-4.1"
    assert config.model_for("continuity") == "deepseek:deepseek-chat"
    assert config.model_for("director") == "local:qwen2.5-coder-1.5b"
    assert config.provider("deepseek").base_url == "https://api.deepseek.com"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[models\n", "not valid TOML"),
        ('[models]\nproducer = "local:x"\n', "unknown agent 'producer'"),
        ('[room]\ncheckpoints = ["approve_everything"]\n', "unknown checkpoints"),
        (
            '[providers.x]\nkind = "carrier-pigeon"\n',
            "x.kind: unknown kind 'carrier-pigeon'; choose one of",
        ),
    ],
)
def test_bad_configuration_is_named(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "writersroom.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_unknown_provider() -> None:
    with pytest.raises(ConfigError, match="unknown provider 'anthropic'"):
        ProjectConfig().provider("anthropic")
    with pytest.raises(ConfigError, match="write it as AGENT=provider:model"):
        parse_overrides(["gpt-4.1"])


def test_a_database_of_the_previous_release_is_upgraded_in_place(tmp_path: Path) -> None:
    """Usage rows written before re-asks were recorded read as accepted answers; an episode
    finished before memory came before media is cut if it has its video, else remembered."""
    db = sqlite_utils.Database(tmp_path / "w.db")
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    for name, fn in MIGRATIONS[:3]:
        fn(db)
        db["_migrations"].insert({"name": name, "applied_at": "2026-11-01T00:00:00"})
    db["usage"].insert(
        {
            "episode": 1,
            "agent": "editor",
            "model": "local:qwen2.5-coder-1.5b",
            "task": "review_script",
            "input_tokens": 900,
            "output_tokens": 120,
            "seconds": 14.5,
            "created_at": "2026-11-01T00:00:00",
        }
    )
    db["episodes"].insert_all(
        [
            {"number": 1, "status": "shots approved", "video": "render/episode-01/episode.mp4"},
            {"number": 2, "status": "shots approved", "video": None},
            {"number": 3, "status": "in progress", "video": None},
        ]
    )
    db.conn.commit()
    assert migrate(db) == [
        "m004_usage_problem",
        "m005_episode_status",
        "m006_provider_jobs",
        "m007_character_sheets",
        "m008_usage_refused",
    ]
    assert list(db.query("select task, problem, refused from usage")) == [
        {"task": "review_script", "problem": "", "refused": ""}
    ]
    assert [row["status"] for row in db.query("select status from episodes order by number")] == [
        "cut",
        "remembered",
        "in progress",
    ]
    assert migrate(db) == []


def test_migrations_pin_the_columns(tmp_path: Path) -> None:
    db = open_database(tmp_path / "w.db")
    assert [name for name, _ in MIGRATIONS] == [
        "m001_initial",
        "m002_facts_ledger",
        "m003_production",
        "m004_usage_problem",
        "m005_episode_status",
        "m006_provider_jobs",
        "m007_character_sheets",
        "m008_usage_refused",
    ]
    tables = [t for t in db.table_names() if "_fts_" not in t]  # not FTS5's shadow tables
    assert {t: list(db[t].columns_dict) for t in tables} == {
        "_migrations": ["name", "applied_at"],
        "series": ["id", "premise", "title", "bible", "current_episode", "created_at"],
        "characters": [
            "name",
            "role",
            "age",
            "look",
            "voice",
            "arc",
            "secrets",
            "seed",
            "voice_id",
            "sheet",
        ],
        "episodes": [
            "number",
            "title",
            "status",
            "auto",
            "models",
            "outline",
            "script",
            "shots",
            "summary",
            "updated_at",
            "calls",
            "video",
            "runtime_seconds",
        ],
        "drafts": ["id", "episode", "kind", "revision", "content", "agent", "model", "created_at"],
        "decisions": [
            "id",
            "episode",
            "checkpoint",
            "revision",
            "action",
            "notes",
            "by",
            "created_at",
            "override",
        ],
        "facts": [
            "id",
            "episode",
            "scene",
            "character",
            "kind",
            "subject",
            "value",
            "text",
            "found_by",
        ],
        "scene_texts": ["episode", "scene", "heading", "present_at_end", "text"],
        "facts_fts": ["character", "subject", "text"],
        "scene_texts_fts": ["heading", "text"],
        "episodes_fts": ["title", "summary"],
        "usage": [
            "id",
            "episode",
            "agent",
            "model",
            "task",
            "input_tokens",
            "output_tokens",
            "seconds",
            "created_at",
            "problem",
            "refused",
        ],
        "jobs": ["key", "backend", "task_id", "invocation", "status", "reason", "submitted_at"],
        "renders": [
            "key",
            "tool",
            "backend",
            "file",
            "duration_seconds",
            "cost",
            "meta",
            "created_at",
        ],
        "ledger": [
            "id",
            "episode",
            "run",
            "shot",
            "tool",
            "backend",
            "call_id",
            "key",
            "file",
            "duration_seconds",
            "cost",
            "cached",
            "seconds",
            "created_at",
        ],
    }
    db.conn.close()
    reopened = open_database(tmp_path / "w.db")  # applying again is a no-op
    assert reopened["_migrations"].count == len(MIGRATIONS)


def test_a_rerun_node_rewrites_its_revision_instead_of_adding_one(tmp_path: Path) -> None:
    memory = Memory(open_database(tmp_path / "w.db"))
    memory.save_draft(1, "script", 1, {"v": "first try"}, "screenwriter", "local:x")
    memory.save_draft(1, "script", 1, {"v": "after the crash"}, "screenwriter", "local:x")
    memory.save_draft(1, "script", 2, {"v": "revised"}, "screenwriter", "local:x")
    assert memory.revisions(1, "script") == [1, 2]
    assert memory.draft(1, "script", 1)["content"] == {"v": "after the crash"}
    assert memory.draft(1, "script")["content"] == {"v": "revised"}
    memory.record_decision(1, "approve_script", 2, "approve", "", "person")
    memory.record_decision(1, "approve_script", 2, "approve", "", "person")
    assert len(memory.decisions(1)) == 1
