"""Secrets: who knows which of the bible's secrets, and who speaks of one before learning it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from writersroom.continuity import patterns as pat
from writersroom.continuity import text as t
from writersroom.continuity.canon import Known, Source
from writersroom.continuity.names import Mention
from writersroom.screenplay.fountain import Dialogue


@dataclass
class Secret:
    text: str
    words: set[str]
    knowers: set[str]
    source: Source


class Secrets:
    """The secret-keeping part of the rules (mixed into `Rules`, which sets these)."""

    secrets: list[Secret]
    exclude: set[str]
    events: list[Known]
    episode: int
    names: Any
    _issue: Any

    def _keepers(self, holder: str, secret: str) -> set[str]:
        """Who knows a bible secret from the start: its holder, and the other party of a
        relationship it names ("His past relationship with Lily": Lily was in it; "She swapped
        places with Mei at birth" is kept from Mei)."""
        if not pat.SHARED.search(secret):
            return {holder}
        return {holder} | {m.name for m in self.names.find(secret)}

    def _learn(self, names: list[str], subject: str) -> None:
        """Who learned a secret of the bible (knowledge of anything else is not tracked)."""
        words = t.keywords(subject, self.exclude)
        for secret in self.secrets:
            if t.mentions(secret.words, subject) or t.mentions(words, secret.text):
                secret.knowers.update(names)

    def _secrets_spoken(self, scene, name: str, d: Dialogue, present: set[str]) -> None:
        for secret in self.secrets:
            if not t.mentions(secret.words, d.text):
                continue
            if name not in secret.knowers:
                self._issue(
                    "knowledge",
                    scene,
                    f"{name} speaks of a secret they have not learned: {secret.text!r}",
                    d.line,
                    secret.source,
                )
            for listener in present | {name}:
                if listener not in secret.knowers:
                    secret.knowers.add(listener)
                    self.events.append(
                        Known(self.episode, scene.number, listener, "knowledge", secret.text)
                    )

    def _secrets_seen(self, scene, sentence: str, mentions: list[Mention]) -> None:
        if not pat.LEARN.search(sentence):
            return
        for secret in self.secrets:
            if t.mentions(secret.words, sentence):
                for m in mentions:
                    if not m.possessive and m.name not in secret.knowers:
                        secret.knowers.add(m.name)
                        self.events.append(
                            Known(self.episode, scene.number, m.name, "knowledge", secret.text)
                        )
