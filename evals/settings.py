"""An eval configuration: a `writersroom.toml` (the room under test) plus an optional `[eval]`
table for the evals themselves.

```toml
[eval]
name = "two-review-rounds"          # the label of this configuration in reports
judge = "local:qwen2.5-coder-1.5b"  # any provider:model; default the room's default model
jobs = 2                            # items evaluated at once
rubric = "short_drama"              # or a path to a rubric .toml

[eval.prices."openai:gpt-4.1"]      # USD per million tokens; local and scripted cost nothing
input = 2.0
output = 8.0

[models]                            # the room's own settings, as in writersroom.toml
default = "local:qwen2.5-coder-1.5b"
[room]
review_rounds = 2
```
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from writersroom.config import ProjectConfig, split_spec
from writersroom.errors import ConfigError

DATA_ENV = "WRITERSROOM_EVALDATA"
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
FREE_PROVIDERS = ("local", "scripted")


class Price(BaseModel, extra="forbid"):
    input: float = Field(ge=0, description="USD per million input tokens")
    output: float = Field(ge=0, description="USD per million output tokens")


class EvalSettings(BaseModel, extra="forbid"):
    name: str | None = None
    judge: str | None = None
    jobs: int = Field(default=2, ge=1, le=64)
    rubric: str = "short_drama"
    prices: dict[str, Price] = Field(default_factory=dict)

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """The cost of some tokens in USD; None for a paid model without a price."""
        if model in self.prices:
            price = self.prices[model]
            return (input_tokens * price.input + output_tokens * price.output) / 1e6
        provider = model.partition(":")[0]
        return 0.0 if provider in FREE_PROVIDERS else None


@dataclass
class EvalConfig:
    """What one configuration under test is: its eval settings and the room's configuration."""

    settings: EvalSettings
    room: ProjectConfig
    room_toml: str  # written as each item's writersroom.toml
    name: str

    @property
    def judge(self) -> str:
        return self.settings.judge or self.room.model_for("judge")


def load_eval_config(path: Path | None) -> EvalConfig:
    """Read an eval configuration file; without one, the room's defaults."""
    if path is None:
        return EvalConfig(EvalSettings(), ProjectConfig(), "", "default")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"eval configuration not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    section = data.pop("eval", {})
    try:
        settings = EvalSettings.model_validate(section)
        if settings.judge:
            split_spec(settings.judge)
        room = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        prefix = "eval." if err["loc"] and err["loc"][0] in EvalSettings.model_fields else ""
        raise ConfigError(f"{path}: {prefix}{where}: {err['msg']}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: eval.judge: {exc}") from None
    return EvalConfig(settings, room, to_toml(data), settings.name or path.stem)


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Tables of strings, numbers, booleans and lists as TOML (what a writersroom.toml holds)."""
    lines = [f"[{prefix}]"] if prefix else []
    tables = []
    for key, value in data.items():
        name = key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
        if isinstance(value, dict):
            tables.append(to_toml(value, f"{prefix}.{name}" if prefix else name))
        else:
            lines.append(f"{name} = {_value(value)}")
    return "\n".join(["\n".join(lines), *tables]).strip() + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {value!r} into a writersroom.toml")


def data_folder(given: Path | None) -> Path:
    """The evaldata folder: --data, else $WRITERSROOM_EVALDATA, else ../shared/evaldata."""
    if given is None and os.environ.get(DATA_ENV):
        given = Path(os.environ[DATA_ENV])
    if given is None:
        given = Path.cwd().parent / "shared" / "evaldata"
        if not given.is_dir():
            raise ConfigError(f"where is the eval data? give --data DIR or set {DATA_ENV}")
    if not given.is_dir():
        raise ConfigError(f"eval data folder not found: {given}")
    return given


def packaged_toml(name: str, folder: str, what: str, choices: str) -> tuple[dict[str, Any], str]:
    """A TOML file of ours by name (`folder/NAME.toml` in the package) or the user's by path:
    its data and its text."""
    path = Path(name)
    if path.suffix == ".toml":
        if not path.is_file():
            raise ConfigError(f"{what} file not found: {path}")
        text = path.read_text(encoding="utf-8")
    else:
        resource = files("writersroom.evals").joinpath(folder, f"{name}.toml")
        if not resource.is_file():
            raise ConfigError(f"no {what} named {name!r}: use {choices} or a .toml file")
        text = resource.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {name}: not valid TOML ({exc})") from None
