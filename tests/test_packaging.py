"""The wheel: built without a warning, with every prompt, suite, rubric, page and word list."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = {  # folder in the repository: its place in the package
    "prompts": "writersroom/prompts",
    "evals/suites": "writersroom/evals/suites",
    "evals/rubrics": "writersroom/evals/rubrics",
    "evals/continuity": "writersroom/evals/continuity",
    "src/writersroom/web/templates": "writersroom/web/templates",
    "src/writersroom/web/static": "writersroom/web/static",
}


def test_the_wheel_builds_quietly_and_carries_its_data(tmp_path: Path) -> None:
    source = tmp_path / "source"  # the tracked files, as a fresh clone has them
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "warning" not in (built.stdout + built.stderr).lower(), built.stderr
    (wheel,) = tmp_path.glob("writersroom-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"writersroom/roles.toml", "writersroom/evals/lexicon.toml"}
    for folder, package in DATA.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
                expected.add(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    assert len(expected) > 60
    assert expected <= names, sorted(expected - names)
    (points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    declared = zipfile.ZipFile(wheel).read(points).decode()
    for line in ("video.storyboard = ", "assemble.ffmpeg = ", "local = writersroom.providers"):
        assert line in declared, declared
