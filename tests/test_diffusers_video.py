"""The diffusers backend on tiny random pipelines that the tests build, save and load back.

No hub: the tokenizer is made from a vocabulary written here, the models from tiny configs.
"""

from __future__ import annotations

import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    StableDiffusionPipeline,
    TextToVideoSDPipeline,
    UNet2DConditionModel,
    UNet3DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from writersroom.errors import ConfigError
from writersroom.tools.base import CharacterLook, VideoRequest
from writersroom.tools.diffusers_video import DiffusersVideo, camera_box
from writersroom.tools.media import probe

LETTERS = "abcdefghijklmnopqrstuvwxyz"
TOKENS = ["<|startoftext|>", "<|endoftext|>", "!", *LETTERS, *(c + "</w>" for c in LETTERS)]
SMALL = {"width": 16, "height": 32, "steps": 2}


def tiny_parts(folder: Path) -> dict[str, object]:
    """Tokenizer, text encoder, VAE and scheduler shared by both tiny pipelines."""
    vocab = folder / "vocab"
    vocab.mkdir(parents=True)
    (vocab / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(TOKENS)}))
    (vocab / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer.from_pretrained(vocab, model_max_length=16, pad_token="!")
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=2,
            vocab_size=len(TOKENS),
            hidden_size=8,
            intermediate_size=16,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=16,
            projection_dim=8,
        )
    )
    vae = AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=2,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return {
        "tokenizer": tokenizer,
        "text_encoder": text_encoder,
        "vae": vae,
        "scheduler": scheduler,
    }


@pytest.fixture(scope="module")
def image_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-t2i")
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8,
        attention_head_dim=2,
        norm_num_groups=2,
    )
    pipeline = StableDiffusionPipeline(
        unet=unet,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
        **tiny_parts(folder),
    )
    pipeline.save_pretrained(folder / "pipeline")
    return folder / "pipeline"


@pytest.fixture(scope="module")
def video_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-t2v")
    unet = UNet3DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        cross_attention_dim=8,
        attention_head_dim=2,
        norm_num_groups=2,
    )
    TextToVideoSDPipeline(unet=unet, **tiny_parts(folder)).save_pretrained(folder / "pipeline")
    return folder / "pipeline"


def shot(camera: str = "static", duration: float = 1.5) -> VideoRequest:
    return VideoRequest(
        shot=3,
        visual_prompt="Mara opens the letter at the kitchen table",
        framing="medium",
        camera=camera,
        duration_seconds=duration,
        characters=[CharacterLook(name="Mara", look="red coat, short black hair", seed=4242)],
        setting="a narrow kitchen at night",
    )


def frames(path: Path) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]


def test_text_to_image_pipeline_makes_a_vertical_h264_shot_of_the_asked_length(
    image_pipeline: Path, tmp_path: Path
) -> None:
    backend = DiffusersVideo(str(image_pipeline), price_per_second=0.5, **SMALL)
    out = tmp_path / "render" / "shot003.mp4"

    result = backend.generate(shot("static", 1.5), out)

    info = probe(out)
    assert (info["video"], info["width"], info["height"], "audio" in info) == (
        "h264",
        720,
        1280,
        False,
    )
    count, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert count == 36
    assert seconds == pytest.approx(1.5, abs=0.05)
    assert result.path == str(out)
    assert result.duration_seconds == pytest.approx(1.5)
    assert result.cost == pytest.approx(0.75)
    assert result.meta["kind"] == "text-to-image"
    assert result.meta["device"] == "cpu"
    assert result.meta["seed"] == 4242
    still = frames(out)
    assert np.abs(still[0].astype(int) - still[-1].astype(int)).mean() < 2


def test_the_same_shot_renders_the_same_picture_and_a_pan_moves(
    image_pipeline: Path, tmp_path: Path
) -> None:
    backend = DiffusersVideo(str(image_pipeline), **SMALL)
    backend.generate(shot("static", 0.5), tmp_path / "a.mp4")
    backend.generate(shot("static", 0.5), tmp_path / "b.mp4")
    backend.generate(shot("pan", 0.5), tmp_path / "pan.mp4")

    a, b, pan = frames(tmp_path / "a.mp4"), frames(tmp_path / "b.mp4"), frames(tmp_path / "pan.mp4")
    assert len(a) == len(pan) == 12
    assert np.abs(a[0].astype(int) - b[0].astype(int)).max() <= 2
    assert np.abs(pan[0].astype(int) - pan[-1].astype(int)).mean() > 2


def test_text_to_video_pipeline_frames_are_spread_over_the_shot(
    video_pipeline: Path, tmp_path: Path
) -> None:
    backend = DiffusersVideo(str(video_pipeline), num_frames=4, **SMALL)
    out = tmp_path / "clip.mp4"

    result = backend.generate(shot("push-in", 2.0), out)

    info = probe(out)
    assert (info["video"], info["width"], info["height"]) == ("h264", 720, 1280)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 48
    assert result.meta["kind"] == "text-to-video"
    assert result.meta["pictures"] == 4
    assert result.meta["pipeline"] == "TextToVideoSDPipeline"


def test_a_model_that_is_not_on_the_machine_is_a_config_error(tmp_path: Path) -> None:
    backend = DiffusersVideo("writersroom-tests/no-such-pipeline")
    with pytest.raises(ConfigError, match="allow_download"):
        backend.generate(shot(), tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize(
    ("camera", "t", "box"),
    [
        ("static", 0.5, (0, 20, 90, 180)),
        ("push-in", 1.0, (9, 36, 81, 164)),
        ("pan", 0.0, (0, 36, 72, 164)),
        ("pan", 1.0, (18, 36, 90, 164)),
    ],
)
def test_camera_windows_keep_nine_by_sixteen(camera: str, t: float, box: tuple[int, ...]) -> None:
    got = camera_box((90, 200), camera, t, travel=0.2)
    assert got == pytest.approx(box)
    assert (got[2] - got[0]) / (got[3] - got[1]) == pytest.approx(9 / 16)
