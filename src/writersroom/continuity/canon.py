"""What a script is checked against: the cast (names, ages, secrets) and the facts ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

BIBLE = 0  # facts from the bible (or a title page) cite episode 0


@dataclass
class Source:
    episode: int
    scene: int
    text: str


@dataclass
class Known:
    """A fact of the ledger, as the rules read it."""

    episode: int
    scene: int
    character: str
    kind: str
    subject: str
    value: str = ""
    text: str = ""


@dataclass
class Opening:
    """The last scene of the previous episode, which a CONTINUOUS opening continues."""

    episode: int
    scene: int
    heading: str
    ending: list[str]


@dataclass
class CanonCharacter:
    name: str
    age: int | None = None
    secrets: list[str] = field(default_factory=list)


@dataclass
class Canon:
    """What the script is checked against. `source` names where the cast list comes from."""

    cast: list[CanonCharacter]
    facts: list[Known] = field(default_factory=list)
    episode: int = 1
    opening: Opening | None = None
    source: str = "the bible"
