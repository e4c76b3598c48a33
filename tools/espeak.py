"""eSpeak NG through its shared library (espeakng-loader): any language, with phoneme events.

Used for the languages the bundled neural voice does not speak (Chinese among them). The
library keeps global state, so calls are serialized.
"""

from __future__ import annotations

import ctypes
import threading
from functools import cache
from typing import Any

import numpy as np

from writersroom.tools.media import RenderError

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_DONT_EXIT = 0x8000
EVENT_LIST_TERMINATED, EVENT_PHONEME = 0, 7
PARAM_RATE, PARAM_PITCH = 1, 3
CHARS_UTF8 = 1
_LOCK = threading.Lock()


class Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event)
)


class _Engine:
    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise RenderError(
                "espeak-ng voices need espeakng-loader: pip install 'writersroom[media]'"
            ) from None
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        options = INITIALIZE_PHONEME_EVENTS | INITIALIZE_DONT_EXIT
        self.rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, options)
        if self.rate <= 0:
            raise RenderError("espeak-ng could not start (its data folder is missing?)")
        self.audio: list[np.ndarray] = []
        self.events: list[tuple[str, float]] = []
        self.callback = Callback(self._collect)  # kept alive as long as the engine
        self.lib.espeak_SetSynthCallback(self.callback)

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self.audio.append(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32))
        index = 0
        while events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == EVENT_PHONEME:
                symbol = event.id.decode("utf-8", errors="replace")
                self.events.append((symbol, event.audio_position / 1000))
            index += 1
        return 0


@cache
def engine() -> _Engine:
    return _Engine()


def speak(text: str, voice: str, pitch: int, rate: int) -> tuple[np.ndarray, int, list]:
    """Samples in [-1, 1], the sample rate, and (phoneme, start, end) in seconds."""
    with _LOCK:
        espeak = engine()
        espeak.audio, espeak.events = [], []
        if espeak.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RenderError(f"espeak-ng has no voice {voice!r}")
        espeak.lib.espeak_SetParameter(PARAM_PITCH, pitch, 0)
        espeak.lib.espeak_SetParameter(PARAM_RATE, rate, 0)
        data = text.encode("utf-8")
        espeak.lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, CHARS_UTF8, None, None)
        espeak.lib.espeak_Synchronize()
        audio = np.concatenate(espeak.audio) / 32768.0 if espeak.audio else np.zeros(1)
        events = list(espeak.events)
    end = len(audio) / espeak.rate
    phonemes = [
        (symbol, start, events[i + 1][1] if i + 1 < len(events) else end)
        for i, (symbol, start) in enumerate(events)
    ]
    return audio.astype(np.float32), espeak.rate, phonemes
