"""Extension points: a package installed beside writersroom adds a video backend by name."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import make_project, rows, wr

PLUGIN = Path(__file__).parent / "plugins" / "tiny-video"
PREMISE = "Twin sisters swapped at birth fight over the family empire"


def test_a_third_party_video_backend_is_installed_and_used_by_name(tmp_path: Path) -> None:
    source = shutil.copytree(PLUGIN, tmp_path / "tiny-video")  # its build writes beside it
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    toml = (
        '[production]\nvideo = "tiny-video"\n'
        '[production.options.tiny-video]\nsignature = "made elsewhere"\n'
    )
    project = make_project(tmp_path / "p", extra_toml=toml, production=True)

    unknown = wr("run", PREMISE, "--auto", "--dir", str(project))
    assert unknown.returncode == 1  # not installed where this process looks
    assert "unknown backend 'tiny-video'; choose one of dashscope-wan" in unknown.stderr

    result = wr("run", PREMISE, "--auto", "--dir", str(project), env={"PYTHONPATH": str(site)})
    assert result.returncode == 0, result.stderr
    videos = rows(project, "select distinct backend from ledger where tool = 'generate_video'")
    assert videos == [("tiny-video",)]
    files = rows(project, "select file from ledger where tool = 'generate_video'")
    folder = project / "render" / "episode-01"
    for (name,) in files:
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        assert meta["signed"] == "made elsewhere"
    assert (folder / "episode.mp4").is_file()
