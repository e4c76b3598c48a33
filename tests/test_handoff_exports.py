"""Exports of a scripted-model episode, each read back by the library that owns its format.

One series is made and cut once per module (real ffmpeg); every export is written through the
CLI and read back with OpenTimelineIO, pyJianYingDraft, poppler or an XML parser, then compared
with what the cut was made of (`cut.json`, the rendered files, `episode.srt`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import wave
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import opentimelineio as otio
import pyJianYingDraft as draft
import pytest
from conftest import make_project, wr
from test_production import DIALOGUE, ffmpeg_describes, srt_cues

PREMISE = "Twin sisters swapped at birth fight over the family empire"
FPS = 24
FRAME = 1 / FPS
# a clip's length on the frame grid: both ends snapped (half a frame each), the file's own
# length counted in whole frames
GRID = 1.5 * FRAME


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("handoff") / "series", production=True)
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    return project


def the_cut(series: Path) -> dict:
    return json.loads((series / "render/episode-01/cut.json").read_text(encoding="utf-8"))


def episode_seconds(path: Path) -> float:
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", ffmpeg_describes(path)).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def srt_starts(path: Path) -> list[float]:
    stamps = re.findall(r"(\d+):(\d+):(\d+),(\d+) -->", path.read_text(encoding="utf-8"))
    return [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in stamps]


def export(series: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = wr("export", "1", *args, "--dir", str(series))
    assert result.returncode == 0, result.stderr
    return result


def expected_pictures(series: Path) -> list[tuple[str, float]]:
    """(file name, seconds) of every picture of the cut: the title card, then each shot."""
    cut = the_cut(series)
    return [("title-card.mp4", cut["title_seconds"])] + [
        (Path(shot["video"]).name, shot["duration_seconds"]) for shot in cut["shots"]
    ]


def seconds(item: otio.core.Item) -> float:
    return item.duration().to_seconds()


def clip_file(clip: otio.schema.Clip) -> Path:
    url = clip.media_reference.target_url
    return Path(url.removeprefix("file://"))


def check_otio_timeline(timeline: otio.schema.Timeline, series: Path) -> None:
    render = series / "render" / "episode-01"
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert len(video) == 1 and len(audio) == 1
    pictures = list(video[0].find_clips())
    expected = expected_pictures(series)
    assert [clip_file(c).name for c in pictures] == [name for name, _ in expected]
    for clip, (_, length) in zip(pictures, expected, strict=True):
        assert clip_file(clip).is_file() and clip_file(clip).is_relative_to(render)
        assert seconds(clip) == pytest.approx(length, abs=FRAME)
    total = sum(seconds(c) for c in pictures)
    assert total == pytest.approx(episode_seconds(render / "episode.mp4"), abs=FRAME)

    voices = list(audio[0].find_clips())
    assert len(voices) == len(DIALOGUE)
    starts = [c.range_in_parent().start_time.to_seconds() for c in voices]
    assert starts == pytest.approx(srt_starts(render / "episode.srt"), abs=FRAME)
    for clip in voices:
        assert clip_file(clip).suffix == ".wav"
        assert seconds(clip) == pytest.approx(wav_seconds(clip_file(clip)), abs=GRID)


def test_the_otio_timeline_reads_back_as_the_cut(series: Path, tmp_path: Path) -> None:
    result = export(series, "--timeline", "otio", "--out", str(tmp_path))
    assert "episode-01.otio" in result.stdout
    timeline = otio.adapters.read_from_file(str(tmp_path / "episode-01.otio"))
    check_otio_timeline(timeline, series)
    voices = list(timeline.tracks[1].find_clips())
    assert [c.markers[0].name for c in voices] == DIALOGUE  # the subtitles, as markers
    assert srt_cues(tmp_path / "episode-01.srt") == DIALOGUE


def test_the_fcp_xml_reads_back_as_the_cut_in_a_vertical_sequence(
    series: Path, tmp_path: Path
) -> None:
    export(series, "--timeline", "fcpxml", "--out", str(tmp_path))
    path = tmp_path / "episode-01.xml"
    check_otio_timeline(otio.adapters.read_from_file(str(path), adapter_name="fcp_xml"), series)
    sequence = ET.parse(path).getroot().find(".//sequence")
    size = sequence.find("media/video/format/samplecharacteristics")
    assert (size.findtext("width"), size.findtext("height")) == ("720", "1280")


def test_the_edls_parse_one_event_per_picture_and_per_line(series: Path, tmp_path: Path) -> None:
    export(series, "--timeline", "edl", "--out", str(tmp_path))
    picture = otio.adapters.read_from_file(str(tmp_path / "episode-01.edl"), rate=FPS)
    clips = list(picture.find_clips())
    expected = expected_pictures(series)
    assert [c.name for c in clips] == ["Title card"] + [
        f"Shot {s['shot']}" for s in the_cut(series)["shots"]
    ]
    assert [seconds(c) for c in clips] == pytest.approx([s for _, s in expected], abs=GRID)
    text = (tmp_path / "episode-01.edl").read_text()
    record_in = re.findall(r"^\d{3}\s+\S+\s+V\s+C\s+\S+ \S+ (\S+) \S+$", text, re.M)
    assert record_in[1] == "00:00:01:12"  # the first shot right after the 1.5 s title card

    dialogue = otio.adapters.read_from_file(str(tmp_path / "episode-01.dialogue.edl"), rate=FPS)
    lines = list(dialogue.find_clips())
    assert len(lines) == len(DIALOGUE)
    assert all(t.kind == otio.schema.TrackKind.Audio for t in dialogue.tracks)
    assert [m.name for c in lines for m in c.markers] == [d.upper() for d in DIALOGUE]


def test_the_jianying_draft_loads_with_a_clip_per_shot_and_line(
    series: Path, tmp_path: Path
) -> None:
    result = export(series, "--timeline", "capcut", "--out", str(tmp_path))
    name = "Twice Born - Episode 01"
    assert name in result.stdout
    script = draft.DraftFolder(str(tmp_path)).load_template(name)
    assert (script.width, script.height, script.fps) == (720, 1280, 24)
    (video,) = script.list_imported_tracks(draft.TrackType.video)
    (audio,) = script.list_imported_tracks(draft.TrackType.audio)
    (text,) = script.list_imported_tracks(draft.TrackType.text)
    expected = expected_pictures(series)
    assert len(video.segments) == len(expected)  # the title card and one clip per shot
    lengths = [s.target_timerange.duration / 1e6 for s in video.segments]
    assert lengths == pytest.approx([s for _, s in expected], abs=GRID)
    starts = srt_starts(series / "render/episode-01/episode.srt")
    assert len(audio.segments) == len(text.segments) == len(DIALOGUE)
    assert [s.target_timerange.start / 1e6 for s in audio.segments] == pytest.approx(
        starts, abs=FRAME
    )
    assert [s.target_timerange.start / 1e6 for s in text.segments] == pytest.approx(
        starts, abs=FRAME
    )

    content = json.loads((tmp_path / name / "draft_content.json").read_text(encoding="utf-8"))
    materials = {m["id"]: m for kind in ("videos", "audios") for m in content["materials"][kind]}
    for segment in [*video.segments, *audio.segments]:
        material = materials[segment.material_id]
        assert Path(material["path"]).is_file()
        assert segment.source_timerange.end <= material["duration"]
    for segment in audio.segments:
        real = wav_seconds(Path(materials[segment.material_id]["path"]))
        assert segment.target_timerange.duration / 1e6 == pytest.approx(real, abs=FRAME)
    texts = [json.loads(m["content"])["text"] for m in content["materials"]["texts"]]
    assert texts == DIALOGUE


def pdf_info(path: Path) -> dict[str, str]:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return dict(re.findall(r"^([^:]+):\s+(.*)$", done.stdout, re.M))


def test_the_pdf_has_a_title_page_and_screenplay_pages_in_courier(
    series: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pages.pdf"
    export(series, "--pdf", "--out", str(out))
    info = pdf_info(out)
    assert info["Pages"] == "2"  # the title page and the two short scenes
    assert "letter" in info["Page size"]
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "CourierPrime" in fonts
    title = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True
    ).stdout
    assert "TWICE BORN" in title and "Episode 1" in title and "The Record 1" in title
    page = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(out), "-"],
        capture_output=True,
        text=True,
    ).stdout
    lines = page.splitlines()
    heading = next(x for x in lines if "INT. LIN TOWER BOARDROOM - DAY" in x)
    cue = next(x for x in lines if x.strip() == "LIN YUE")
    words = next(x for x in lines if "You dropped something, cleaner." in x)
    indent = [len(x) - len(x.lstrip()) for x in (heading, cue, words)]
    # heading at the action margin (after its scene number), the cue right of the dialogue
    assert indent[2] < indent[1] and heading.lstrip().startswith("1")


def test_the_fdx_has_one_paragraph_per_script_element(series: Path, tmp_path: Path) -> None:
    out = tmp_path / "episode.fdx"
    export(series, "--fdx", "--out", str(out))
    root = ET.parse(out).getroot()
    assert root.tag == "FinalDraft"
    kinds = [(p.get("Type"), "".join(t.text or "" for t in p)) for p in root.iter("Paragraph")]
    script = json.loads((series / "answers.json").read_text(encoding="utf-8"))["write_script"][0]
    expected = []
    for scene in script["scenes"]:
        expected += [("Scene Heading", scene["heading"]), ("Action", scene["action"])]
        for line in scene["lines"]:
            expected.append(("Character", line["speaker"].upper()))
            if line["parenthetical"]:
                expected.append(("Parenthetical", f"({line['parenthetical']})"))
            expected.append(("Dialogue", line["text"]))
    assert kinds == expected


def test_an_episode_not_yet_cut_gives_one_line_and_exit_1(tmp_path: Path) -> None:
    project = make_project(tmp_path / "fresh", production=True)
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    for args in (("--timeline", "otio"), ("--timeline", "capcut"), ("--pdf",), ("--fdx",)):
        result = wr("export", "1", *args, "--dir", str(project))
        assert result.returncode == 1, (args, result.stdout)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        reason = "has not been cut yet" if args[0] == "--timeline" else "has no script yet"
        assert reason in result.stderr
    result = wr("export", "1", "--pdf", "--fdx", "--dir", str(project))
    assert result.returncode == 1 and "choose one export" in result.stderr


def test_an_episode_cut_before_timelines_were_kept_is_cut_again_from_the_cache(
    series: Path, tmp_path: Path
) -> None:
    project = Path(shutil.copytree(series, tmp_path / "copy"))
    (project / "render/episode-01/cut.json").unlink()
    result = wr("export", "1", "--timeline", "otio", "--dir", str(project))
    assert result.returncode == 1
    assert "`writersroom render 1`" in result.stderr
    rendered = wr("render", "1", "--dir", str(project))
    assert rendered.returncode == 0, rendered.stderr
    assert "0 made" in rendered.stdout
    export(project, "--timeline", "otio")
    timeline = otio.adapters.read_from_file(str(project / "exports/episode-01.otio"))
    check_otio_timeline(timeline, project)


def test_the_review_room_offers_the_downloads(series: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from writersroom.web.app import create_app

    with TestClient(create_app(series), base_url="http://127.0.0.1") as client:
        page = client.get("/episodes/1").text
        for kind in ("pdf", "fdx", "fountain", "capcut", "fcpxml", "otio", "edl"):
            assert f'href="/episodes/1/download/{kind}"' in page
        pdf = client.get("/episodes/1/download/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "episode-01.pdf" in pdf.headers["content-disposition"]
        fountain_text = client.get("/episodes/1/download/fountain").text
        assert "LIN YUE\n(smiling)\nYou dropped something, cleaner." in fountain_text
        for kind, member in (
            ("capcut", "Twice Born - Episode 01/draft_content.json"),
            ("fcpxml", "episode-01.xml"),
        ):
            packed = client.get(f"/episodes/1/download/{kind}")
            assert packed.status_code == 200, packed.text
            archive = tmp_path / f"{kind}.zip"
            archive.write_bytes(packed.content)
            with zipfile.ZipFile(archive) as opened:
                assert member in opened.namelist()
                assert "episode-01.srt" in opened.namelist() or kind == "capcut"
        assert client.get("/episodes/1/download/mp3").status_code == 404

    fresh = make_project(tmp_path / "fresh", production=True)
    assert wr("new", PREMISE, "--dir", str(fresh)).returncode == 0
    with TestClient(create_app(fresh), base_url="http://127.0.0.1") as client:
        assert "/download/" not in client.get("/episodes/1").text
        refused = client.get("/episodes/1/download/otio")
        assert refused.status_code == 409 and "has not been cut yet" in refused.text


def test_a_chinese_script_is_set_in_the_cjk_font_with_its_cues(tmp_path: Path) -> None:
    from writersroom.handoff import pages
    from writersroom.schemas import Script

    script = Script.model_validate(
        {
            "episode": 1,
            "title": "替身新娘",
            "scenes": [
                {
                    "number": 1,
                    "heading": "INT. 林氏大厦 会议室 - DAY",
                    "action": "林梅端着托盘走进会议室，杯子摔碎在她脚下。",
                    "lines": [
                        {
                            "speaker": "林月",
                            "text": "你掉东西了，清洁工。",
                            "parenthetical": "冷笑",
                        },
                        {"speaker": "林梅", "text": "对不起，林小姐。", "parenthetical": ""},
                    ],
                }
            ],
        }
    )
    cast = [("林梅", 26), ("林月", 26)]
    pdf = pages.write_pdf("双生", script, cast, tmp_path / "zh.pdf")
    assert pdf_info(pdf)["Pages"] == "2"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "WenQuanYiMicroHeiMono" in fonts
    page = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(pdf), "-"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    action = next(x for x in page if "林梅端着托盘" in x)
    cue = next(x for x in page if x.strip() == "林月")
    assert len(cue) - len(cue.lstrip()) > len(action) - len(action.lstrip())  # a cue, indented
    fdx = pages.write_fdx("双生", script, cast, tmp_path / "zh.fdx")
    kinds = [
        (p.get("Type"), "".join(t.text or "" for t in p)) for p in ET.parse(fdx).iter("Paragraph")
    ]
    assert ("Character", "林月") in kinds and ("Dialogue", "对不起，林小姐。") in kinds


def test_a_picture_shorter_than_its_shot_is_held_on_its_last_frame(
    series: Path, tmp_path: Path
) -> None:
    project = Path(shutil.copytree(series, tmp_path / "copy"))
    kept = project / "render/episode-01/cut.json"
    cut = json.loads(kept.read_text(encoding="utf-8"))
    cut["shots"][0]["duration_seconds"] += 1.0  # as the cut pads a picture that ends early
    kept.write_text(json.dumps(cut), encoding="utf-8")
    for kind in ("otio", "fcpxml", "edl", "capcut"):
        export(project, "--timeline", kind, "--out", str(tmp_path / kind))
    timeline = otio.adapters.read_from_file(str(tmp_path / "otio/episode-01.otio"))
    pictures = list(timeline.tracks[0].find_clips())
    assert [c.name for c in pictures[:3]] == ["Title card", "Shot 1", "Shot 1 (held)"]
    held = pictures[2]
    assert seconds(pictures[1]) == pytest.approx(4.0, abs=FRAME)
    assert seconds(held) == pytest.approx(1.0, abs=FRAME)
    assert [e.effect_name for e in held.effects] == ["FreezeFrame"]
    assert "FREEZE FRAME" in (tmp_path / "edl/episode-01.edl").read_text()
    script = draft.DraftFolder(str(tmp_path / "capcut")).load_template("Twice Born - Episode 01")
    (video,) = script.list_imported_tracks(draft.TrackType.video)
    lengths = [s.target_timerange.duration / 1e6 for s in video.segments]
    assert lengths[:3] == pytest.approx([1.5, 4.0, 1.0], abs=FRAME)
