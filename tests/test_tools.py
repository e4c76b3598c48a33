"""The production tools' parts: path safety, casting, visemes, backends by configuration,
function calling on the scripted and the llama.cpp providers."""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import answers, make_project, median_pitch
from langchain_core.messages import HumanMessage
from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from writersroom.config import ProjectConfig, load_config
from writersroom.errors import ConfigError
from writersroom.providers import ModelRegistry
from writersroom.providers.scripted import read_calls
from writersroom.room.production import language_of
from writersroom.schemas import Script
from writersroom.tools import registry, voices
from writersroom.tools.base import (
    CharacterLook,
    LipSyncRequest,
    MediaResult,
    VideoRequest,
    VoiceRequest,
)
from writersroom.tools.figures import COLOURS, appearance
from writersroom.tools.lipsync import DrawnMouthSync, timeline, viseme
from writersroom.tools.media import RenderError, probe, read_video
from writersroom.tools.safety import inside
from writersroom.tools.storyboard import StoryboardVideo


def test_model_written_paths_stay_inside_the_render_folder(tmp_path: Path) -> None:
    root = tmp_path / "render"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "link")
    assert inside(root, "shot-01/video.mp4", (".mp4",)) == root.resolve() / "shot-01/video.mp4"
    for bad in (
        "../escape.mp4",
        "/tmp/x.mp4",
        "shot-01/../../x.mp4",
        ".hidden.mp4",
        "C:\\x.mp4",
        "",
        "link/x.mp4",
        "a/b/c/d/e.mp4",
    ):
        with pytest.raises(RenderError):
            inside(root, bad, (".mp4",))
    with pytest.raises(RenderError, match="must end in"):
        inside(root, "shot-01/video.sh", (".mp4",))


def test_casting_gives_each_character_a_fitting_distinct_voice() -> None:
    taken: list[str] = []
    cast = {}
    for name, about in (
        ("Mei", "protagonist; she is the heiress; low, measured voice"),
        ("Yue", "twin sister in a red dress; bright and quick"),
        ("Hao", "love interest, navy suit, calm baritone"),
        ("Extra", "a passer-by"),
    ):
        cast[name] = voices.cast(about, "en", taken)
        taken.append(cast[name])
    assert len(set(cast.values())) == 4
    pitch = {name: voices.parse(v)[2] for name, v in cast.items()}
    assert pitch["Hao"] < 1 < pitch["Mei"] < pitch["Yue"]  # baritone low; the sisters high
    assert voices.cast("她是姐姐", "zh", []).startswith("espeak:cmn:")
    for _ in range(20):  # a cast larger than the presets still gets distinct voices
        taken.append(voices.cast("someone", "en", taken))
    assert len(set(taken)) == len(taken)
    with pytest.raises(RenderError):
        voices.parse("piper:joe:pitch=9")


def test_japanese_lines_get_blended_kokoro_voices_with_timings(tmp_path: Path) -> None:
    taken: list[str] = []
    for about in ("the heiress; she is bright and quick", "her brother, a calm baritone"):
        taken.append(voices.cast(about, "ja", taken))
    she, he = taken
    assert she.startswith("kokoro:jf_") and he.startswith("kokoro:jm_kumo")
    speaker = voices.EmbeddedVoice()
    made = {}
    for voice, text in ((she, "あなたの名前はここに書いてある。"), (he, "お前はもう終わりだ。")):
        out = tmp_path / f"{voice.split(':')[1][:8]}.wav"
        request = VoiceRequest(shot=1, speaker="X", voice_id=voice, text=text, language="ja")
        result = speaker.speak(request, out)
        phonemes = result.meta["phonemes"]
        assert 0.5 < result.duration_seconds < 6
        assert len(phonemes) > 5 and phonemes[-1][2] <= result.duration_seconds
        assert all(a[2] <= b[1] + 1e-6 for a, b in itertools.pairwise(phonemes))
        made[voice] = median_pitch(out)
    assert made[she] > 1.3 * made[he]  # two measurably different voices
    blended = voices.cast("a second brother", "ja", [he])
    assert "*" in blended and "+" in blended  # a blend of the stock voices
    with pytest.raises(RenderError, match="not a Kokoro voice"):
        bad = VoiceRequest(shot=1, speaker="X", voice_id="kokoro:jx_none", text="はい。")
        speaker.speak(bad, tmp_path / "x.wav")


@pytest.mark.parametrize(("text", "language"), [("お前はもう終わりだ。", "ja"), ("你完了。", "zh")])
def test_the_dialogue_says_its_language(text: str, language: str) -> None:
    script = answers()["write_script"][0]
    for scene in script["scenes"]:
        for line in scene["lines"]:
            line["text"] = text
    assert language_of(ProjectConfig(), Script.model_validate(script)) == language


def test_a_look_is_drawn_as_written_and_the_seed_fixes_the_rest() -> None:
    look = CharacterLook(name="Yue", look="sharp bob, red silk dress, jade pendant", seed=5)
    drawn = appearance(look)
    assert (drawn.clothes, drawn.garment, drawn.hair_style) == (COLOURS["red"], "dress", "bob")
    assert drawn.accent == COLOURS["jade"]
    assert appearance(look) == drawn
    other = appearance(look.model_copy(update={"seed": 6}))
    assert other.clothes == drawn.clothes  # what the look names does not depend on the seed


def test_storyboard_shot_moves_and_maps_the_mouths(tmp_path: Path) -> None:
    cast = [
        CharacterLook(name="Mei", look="grey trench coat", seed=1),
        CharacterLook(name="Hao", look="navy suit", seed=2),
    ]
    request = VideoRequest(
        shot=1,
        visual_prompt="an archive at night",
        framing="medium",
        camera="pan",
        duration_seconds=1.0,
        characters=cast,
        setting="INT. ARCHIVE - NIGHT",
    )
    result = StoryboardVideo().generate(request, tmp_path / "shot.mp4")
    info = probe(tmp_path / "shot.mp4")
    assert (info["video"], info["width"], info["height"]) == ("h264", 720, 1280)
    assert result.meta["frames"] == 24 and result.duration_seconds == 1.0
    mouths = result.meta["faces"]["Mei"]["mouth"]
    assert len(mouths) == 24 and mouths[0][0] > mouths[-1][0]  # the pan moves the frame


def mei_says(
    folder: Path, text: str, voice: str, camera: str, seconds: float, offset: float = 0.0
) -> tuple[MediaResult, MediaResult]:
    """Mei's storyboard close-up (`shot.mp4`) and her line (`line.wav`), with the sidecars the
    render cache keeps beside each file; the line synced into the shot as `synced.mp4`."""
    mei = CharacterLook(name="Mei", look="grey trench coat", seed=1)
    shot = VideoRequest(
        shot=1,
        visual_prompt="an archive at night",
        framing="close-up",
        camera=camera,
        duration_seconds=seconds,
        characters=[mei],
        setting="INT. ARCHIVE - NIGHT",
    )
    picture = StoryboardVideo().generate(shot, folder / "shot.mp4")
    said = VoiceRequest(shot=1, speaker="Mei", voice_id=voice, text=text)
    line = voices.EmbeddedVoice().speak(said, folder / "line.wav")
    for made in (picture, line):
        (folder / f"{made.path}.json").write_text(json.dumps(made.meta), encoding="utf-8")
    synced = DrawnMouthSync().sync(
        LipSyncRequest(
            shot=1, speaker="Mei", video="shot.mp4", audio="line.wav", offset_seconds=offset
        ),
        folder,
        folder / "synced.mp4",
    )
    return line, synced


def test_a_line_longer_than_its_shot_holds_a_closed_mouth_after_it(tmp_path: Path) -> None:
    voice = "piper:joe:pitch=1.45:speed=0.98"
    line, synced = mei_says(tmp_path, "Mama, it is mine.", voice, "static", 0.5)
    assert synced.duration_seconds > line.duration_seconds > 0.5  # the shot was held longer
    x, y, w = synced.meta["faces"]["Mei"]["mouth"][-1]
    box = (int(x - w), int(y - w / 2), int(x + w), int(y + w / 2))
    before = np.asarray(next(iter(read_video(tmp_path / "shot.mp4"))).crop(box), dtype=float)
    frames = list(read_video(tmp_path / "synced.mp4"))
    after = np.asarray(frames[-1].crop(box), dtype=float)
    assert np.abs(after - before).mean() < 4  # the mouth is at rest again, as drawn
    talking = [np.abs(np.asarray(f.crop(box), dtype=float) - before).mean() for f in frames]
    assert max(talking) > 10  # and it moved while the line was spoken


def test_a_line_changes_its_own_frames_and_leaves_the_shot_as_it_was(tmp_path: Path) -> None:
    """Only the line's frames are drawn over; the rest of the shot comes through as it was, so
    a shot of many lines does not fade a little with each line synced into it."""
    line, synced = mei_says(tmp_path, "It is mine.", "piper:joe", "pan", 3.0, offset=1.0)
    assert synced.duration_seconds == 3.0
    before = list(read_video(tmp_path / "shot.mp4"))
    after = list(read_video(tmp_path / "synced.mp4"))
    assert len(after) == len(before) == 72
    change = [
        np.abs(np.asarray(a, float) - np.asarray(b, float)).mean()
        for a, b in zip(after, before, strict=True)
    ]
    spoken = range(24, 24 + math.ceil(line.duration_seconds * 24))
    assert max(change[:24]) < 0.3 and max(change[spoken.stop :]) < 0.3  # as it was
    assert max(change[i] for i in spoken) > 0.3  # the mouth moves while the line is spoken


def test_phonemes_become_visemes_on_time() -> None:
    assert [viseme(p) for p in ("m", "f", "u", "ɑ", "ɪ", "s", " ", "_:", "'Au")] == [
        "closed",
        "fv",
        "round",
        "wide",
        "mid",
        "small",
        "rest",
        "rest",
        "wide",
    ]
    frames = timeline([["m", 0.0, 0.1], ["ˈ", 0.1, 0.15], ["ɑ", 0.15, 0.3]], fps=20, frames=8)
    assert frames == ["closed", "closed", "wide", "wide", "wide", "wide", "rest", "rest"]


def test_backends_come_from_the_configuration(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", extra_toml='[production]\nvideo = "hologram"\n')
    with pytest.raises(ConfigError, match="unknown backend 'hologram'; choose one of"):
        load_config(project)
    assert registry.load("video", "storyboard").name == "storyboard"
    with pytest.raises(ConfigError, match=r"\[production.options.storyboard\]"):
        registry.load("video", "storyboard", {"resolution": 4})


class Wave(BaseModel):
    """Wave at someone."""

    who: str = Field(max_length=40)
    times: int = Field(ge=1, le=3)


def wave_tool() -> StructuredTool:
    return StructuredTool.from_function(
        func=lambda who, times: f"waved at {who}",
        name="wave",
        args_schema=Wave,
        description="Wave at someone.",
    )


def test_the_scripted_model_answers_with_tool_calls_and_logs_the_tools(tmp_path: Path) -> None:
    replies = {
        "greet": [
            {
                "tool_calls": [
                    {"name": "wave", "args": {"who": "Mei", "times": 2}},
                    {"name": "wave", "args": "{who:"},
                ]
            }
        ]
    }
    project = make_project(tmp_path / "p", replies)
    model = ModelRegistry(load_config(project), project).for_agent("director")
    reply = model.chat.bind_tools([wave_tool()]).invoke(
        [HumanMessage(content="greet")], config={"metadata": {"task": "greet"}}
    )
    assert reply.tool_calls == [
        {
            "name": "wave",
            "args": {"who": "Mei", "times": 2},
            "id": "call-greet-1-1",
            "type": "tool_call",
        }
    ]
    assert reply.invalid_tool_calls[0]["args"] == "{who:"
    assert read_calls(project)[0]["tools"] == ["wave"]


def test_the_grammar_holds_number_ranges_and_leaves_string_lengths_to_the_reading() -> None:
    from writersroom.providers.local import grammar_schema
    from writersroom.schemas import EpisodeOutline, Shot

    duration = grammar_schema(Shot.model_json_schema())["properties"]["duration_seconds"]
    assert duration["type"] == "integer" and duration["enum"] == list(range(1, 31))
    outline = grammar_schema(EpisodeOutline.model_json_schema())["properties"]
    assert "maxLength" not in outline["title"]  # cut between words when read, not jammed
    assert "maxLength" not in outline["hook"]  # 600 would spell out 600 rules


def test_captions_and_titles_wrap_by_their_width_in_any_script() -> None:
    """A Chinese visual prompt has no spaces to break at: it still fits the frame's width."""
    from writersroom.tools.storyboard import font, wrapped

    chinese = (
        "李华接起电话，询问病人的情况。张明沉默了一会儿，李华和张明开始寻找与病人有关的信息。" * 2
    )
    rows = wrapped(chinese, 30, 672, 3)  # more than three rows' worth: the first three
    assert len(rows) == 3 and "".join(rows) == chinese[: len("".join(rows))]
    assert all(font(30).getlength(row) <= 672 for row in rows)
    english = "A lighthouse keeper's daughter finds a diary in the new owner's desk at dawn"
    rows = wrapped(english, 30, 672, 3)
    assert " ".join(rows) == english and all(font(30).getlength(r) <= 672 for r in rows)
    assert wrapped("", 30, 672, 3) == []
