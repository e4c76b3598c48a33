"""The diffusers backends on tiny random pipelines that the tests build, save and load back.

No hub: the tokenizer is made from a vocabulary written here, the models from tiny configs.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderKLTemporalDecoder,
    DDIMScheduler,
    EulerDiscreteScheduler,
    StableDiffusionImg2ImgPipeline,
    StableDiffusionPipeline,
    StableVideoDiffusionPipeline,
    TextToVideoSDPipeline,
    UNet2DConditionModel,
    UNet3DConditionModel,
    UNetSpatioTemporalConditionModel,
)
from PIL import Image
from transformers import (
    CLIPImageProcessor,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
)

from writersroom.errors import ConfigError
from writersroom.tools import registry
from writersroom.tools.base import CharacterLook, ImageRequest, Reference, VideoRequest, View
from writersroom.tools.diffusers_image import DiffusersImage
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


def tiny_unet() -> UNet2DConditionModel:
    """The denoiser of both tiny picture pipelines."""
    return UNet2DConditionModel(
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


def tiny_picture_pipeline(kind: type, folder: Path) -> Path:
    """A tiny random Stable Diffusion pipeline of `kind`, saved under `folder`."""
    pipeline = kind(
        unet=tiny_unet(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
        **tiny_parts(folder),
    )
    pipeline.save_pretrained(folder / "pipeline")
    return folder / "pipeline"


@pytest.fixture(scope="module")
def image_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_picture_pipeline(StableDiffusionPipeline, tmp_path_factory.mktemp("tiny-t2i"))


@pytest.fixture(scope="module")
def img2img_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A picture pipeline that starts from a picture (it takes `image`)."""
    folder = tmp_path_factory.mktemp("tiny-i2i")
    return tiny_picture_pipeline(StableDiffusionImg2ImgPipeline, folder)


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


@pytest.fixture(scope="module")
def i2v_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An image-to-video pipeline (Stable Video Diffusion): it takes a picture and no text, and
    has no text-to-image form. Its blocks are at least 32 channels wide: their norms have 32
    groups."""
    folder = tmp_path_factory.mktemp("tiny-i2v")
    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32,
        num_attention_heads=8,
        projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32,
    )
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=[32, 64],
        down_block_types=["DownEncoderBlock2D"] * 2,
        latent_channels=4,
    )
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=1,
            image_size=224,  # the pipeline gives its encoder the picture at 224x224
            patch_size=32,
        )
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type="v_prediction",
        use_karras_sigmas=True,
        sigma_min=0.002,
        sigma_max=700.0,
        timestep_type="continuous",
    )
    StableVideoDiffusionPipeline(
        vae=vae,
        image_encoder=image_encoder,
        unet=unet,
        scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(),
    ).save_pretrained(folder / "pipeline")
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


def assert_silent_vertical_clip(path: Path, count: int, seconds: float) -> None:
    """`path` is a 720x1280 H.264 video without sound, of `count` frames lasting `seconds`."""
    info = probe(path)
    assert (info["video"], info["width"], info["height"], "audio" in info) == (
        "h264",
        720,
        1280,
        False,
    )
    frames_made, lasting = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames_made == count
    assert lasting == pytest.approx(seconds, abs=0.05)


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

    assert_silent_vertical_clip(out, 36, 1.5)
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


def figure(path: Path, colour: tuple[int, int, int]) -> Reference:
    """A 720x1280 full-figure sheet of one colour with a lighter block where the figure stands."""
    picture = Image.new("RGB", (720, 1280), colour)
    picture.paste(tuple(min(255, c + 120) for c in colour), (240, 160, 480, 1160))
    picture.save(path, format="PNG")
    return Reference(view="figure", sha256=path.stem, path=str(path))


def sheeted(*references: Reference, duration: float = 0.25) -> VideoRequest:
    """The shot with one character per reference, all seeded alike: shots made from these
    differ only by their characters' sheets."""
    looks = [
        CharacterLook(name=f"Mara{i}", look="red coat", seed=4242, references=[reference])
        for i, reference in enumerate(references)
    ]
    return shot("static", duration).model_copy(update={"characters": looks})


def test_an_image_to_image_pipeline_starts_each_shot_from_the_first_characters_figure(
    img2img_pipeline: Path, tmp_path: Path
) -> None:
    red = figure(tmp_path / "red.png", (200, 30, 40))
    blue = figure(tmp_path / "blue.png", (20, 40, 210))
    backend = DiffusersVideo(str(img2img_pipeline), **SMALL)

    result = backend.generate(sheeted(red, duration=1.25), tmp_path / "red.mp4")
    backend.generate(sheeted(red), tmp_path / "red-again.mp4")
    backend.generate(sheeted(red, blue), tmp_path / "red-then-blue.mp4")
    backend.generate(sheeted(blue), tmp_path / "blue.mp4")

    assert_silent_vertical_clip(tmp_path / "red.mp4", 30, 1.25)
    assert result.meta["kind"] == "image-to-image"
    assert result.meta["pipeline"] == "StableDiffusionImg2ImgPipeline"
    first = {
        name: frames(tmp_path / f"{name}.mp4")[0].astype(int)
        for name in ("red", "red-again", "red-then-blue", "blue")
    }
    assert np.abs(first["red"] - first["red-again"]).max() <= 2
    assert np.abs(first["red"] - first["red-then-blue"]).max() <= 2
    assert np.abs(first["red"] - first["blue"]).mean() > 5


def test_an_image_to_image_pipeline_draws_a_shot_without_characters_from_its_text(
    img2img_pipeline: Path, tmp_path: Path
) -> None:
    backend = DiffusersVideo(str(img2img_pipeline), **SMALL)
    empty = shot("pan", 0.5).model_copy(update={"characters": []})

    result = backend.generate(empty, tmp_path / "room.mp4")
    backend.generate(empty, tmp_path / "room-again.mp4")

    info = probe(tmp_path / "room.mp4")
    assert (info["video"], info["width"], info["height"]) == ("h264", 720, 1280)
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "room.mp4"))[0] == 12
    assert result.meta["kind"] == "text-to-image"
    room, again = frames(tmp_path / "room.mp4"), frames(tmp_path / "room-again.mp4")
    assert np.abs(room[0].astype(int) - again[0].astype(int)).max() <= 2


def sheet(view: View, seed: int = 4242) -> ImageRequest:
    look = CharacterLook(name="Mara", look="red coat, short black hair", seed=seed)
    return ImageRequest(character=look, view=view, notes="older, a scar over the left eye")


@pytest.mark.parametrize("kind", ["image_pipeline", "img2img_pipeline", "video_pipeline"])
def test_diffusers_draws_each_view_at_its_size_the_same_request_alike(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backend = DiffusersImage(str(request.getfixturevalue(kind)), num_frames=2, **SMALL)
    drawn = {}
    for name, asked in [
        ("portrait", sheet("portrait")),
        ("figure", sheet("figure")),
        ("portrait-again", sheet("portrait")),
        ("portrait-other-seed", sheet("portrait", seed=7)),
    ]:
        out = tmp_path / "characters" / f"mara-{name}.png"
        result = backend.draw(asked, out)
        assert result.path == str(out)
        drawn[name] = out

    sizes = {name: Image.open(path).size for name, path in drawn.items()}
    assert sizes["portrait"] == sizes["portrait-other-seed"] == (720, 720)
    assert sizes["figure"] == (720, 1280)
    assert all(Image.open(path).format == "PNG" for path in drawn.values())
    assert drawn["portrait"].read_bytes() == drawn["portrait-again"].read_bytes()
    assert drawn["portrait"].read_bytes() != drawn["portrait-other-seed"].read_bytes()
    assert result.meta["seed"] == 7


def test_an_image_to_video_pipeline_makes_each_shot_from_its_characters_figure(
    i2v_pipeline: Path, tmp_path: Path
) -> None:
    red = figure(tmp_path / "red.png", (200, 30, 40))
    blue = figure(tmp_path / "blue.png", (20, 40, 210))
    backend = DiffusersVideo(str(i2v_pipeline), num_frames=4, **SMALL)

    result = backend.generate(sheeted(red, duration=1.25), tmp_path / "red.mp4")
    backend.generate(sheeted(red, duration=1.25), tmp_path / "red-again.mp4")
    backend.generate(sheeted(blue, duration=1.25), tmp_path / "blue.mp4")

    assert_silent_vertical_clip(tmp_path / "red.mp4", 30, 1.25)
    assert result.meta["kind"] == "image-to-video"
    assert result.meta["pipeline"] == "StableVideoDiffusionPipeline"
    assert result.meta["pictures"] == 4
    shots = {name: frames(tmp_path / f"{name}.mp4") for name in ("red", "red-again", "blue")}
    assert all(
        np.abs(a.astype(int) - b.astype(int)).max() <= 2
        for a, b in zip(shots["red"], shots["red-again"], strict=True)
    )
    assert all(
        np.abs(a.astype(int) - b.astype(int)).mean() > 2
        for a, b in zip(shots["red"], shots["blue"], strict=True)
    )


def test_an_image_to_video_pipeline_is_a_config_error_for_a_shot_without_a_sheet(
    i2v_pipeline: Path, tmp_path: Path
) -> None:
    backend = DiffusersVideo(str(i2v_pipeline), num_frames=4, **SMALL)
    empty = shot().model_copy(update={"characters": []})

    with pytest.raises(ConfigError, match=r"needs a picture to start from.*reference sheet"):
        backend.generate(empty, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_the_video_and_image_backends_share_the_diffusers_options(image_pipeline: Path) -> None:
    options = {"model": str(image_pipeline), "num_frames": 2, "travel": 0.1, "steps": 2}

    video = registry.load("video", "diffusers", options)
    image = registry.load("image", "diffusers", options)

    assert isinstance(video, DiffusersVideo)
    assert isinstance(image, DiffusersImage)
    assert (image.model, image.steps, image.num_frames) == (str(image_pipeline), 2, 2)


def test_a_backend_sent_to_another_process_leaves_its_loaded_pipeline_behind(
    image_pipeline: Path, tmp_path: Path
) -> None:
    backend = DiffusersVideo(str(image_pipeline), **SMALL)
    backend.generate(shot("static", 0.25), tmp_path / "here.mp4")
    assert backend._pipeline is not None
    sent = pickle.loads(pickle.dumps(backend))
    assert sent._pipeline is None and sent.model == backend.model
    sent.generate(shot("static", 0.25), tmp_path / "there.mp4")
    here, there = frames(tmp_path / "here.mp4")[0], frames(tmp_path / "there.mp4")[0]
    assert np.abs(here.astype(int) - there).max() <= 2
