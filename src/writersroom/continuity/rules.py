"""The checker's rule layer: contradictions found on the page and in the ledger, no model.

`check(play, canon)` reads a screenplay scene by scene, keeping what is true so far (who is dead,
which props are gone, who knows which secret, who is whose kin) from the canon (the bible and
the facts ledger of earlier episodes) and from the script itself, and reports each
contradiction with the fact it contradicts and where that fact comes from. `Rules.events` are
the facts the script itself establishes, for the ledger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from writersroom.continuity import ages
from writersroom.continuity import patterns as pat
from writersroom.continuity import text as t
from writersroom.continuity.canon import BIBLE, Canon, Known, Source
from writersroom.continuity.names import Mention, Names, infer_cast
from writersroom.continuity.reading import PATIENT, Reader, things
from writersroom.continuity.reading import Scene as Referents
from writersroom.continuity.secrets import Secret, Secrets
from writersroom.schemas import ContinuityIssue
from writersroom.screenplay.fountain import Action, Dialogue, SceneText, Screenplay

Kind = Literal[
    "unknown_speaker", "name_drift", "dead_character", "location", "timeline", "prop",
    "knowledge", "relationship", "age",
]  # fmt: skip


@dataclass
class Prior:
    """The scene before, as a CONTINUOUS or SAME TIME scene continues it."""

    scene: SceneText
    present: set[str]
    ending: set[str]  # who is still there, not moving, in its last moment
    episode: int
    time: str = ""


def check(play: Screenplay, canon: Canon) -> list[ContinuityIssue]:
    return Rules(play, canon).run()


class Rules(Secrets):
    def __init__(self, play: Screenplay, canon: Canon) -> None:
        self.play, self.canon, self.episode = play, canon, canon.episode
        cues = [d.speaker for s in play.scenes for d in s.dialogue()]
        self.drift: dict[str, str] = {}
        if canon.cast:
            self.names = Names([c.name for c in canon.cast])
        else:
            action = "\n".join(
                e.text for s in play.scenes for e in s.elements if isinstance(e, Action)
            )
            inferred, self.drift = infer_cast(cues, action)
            self.names = Names(inferred)
        self.ages = {c.name: c.age for c in canon.cast if c.age}
        action_sentences = [
            sentence
            for s in play.scenes
            for e in s.elements
            if isinstance(e, Action)
            for sentence in t.sentences(e.text)
        ]
        self.reader = Reader(self.names, Reader.learn_genders(self.names, action_sentences))
        self.refs = Referents()
        self.issues: list[ContinuityIssue] = []
        self.events: list[Known] = []
        self.dead: dict[str, Source] = {}
        self.gone: dict[str, tuple[str, Source]] = {}  # prop head noun -> (prop, source)
        self.kin: dict[tuple[str, str], tuple[str, Source]] = {}
        exclude = {w.casefold() for n in self.names.cast for w in n.split()}
        self.exclude = exclude
        self.secrets = [
            Secret(
                s,
                t.keywords(s, exclude),
                self._keepers(c.name, s),
                Source(BIBLE, 0, f"{c.name}: {s}"),
            )
            for c in canon.cast
            for s in c.secrets
        ]
        for fact in sorted(canon.facts, key=lambda f: (f.episode, f.scene)):
            self._know(fact)

    # the ledger -----------------------------------------------------------------
    def _know(self, fact: Known) -> None:
        source = Source(fact.episode, fact.scene, fact.text or f"{fact.character}: {fact.subject}")
        name = self.names.resolve(fact.character) or fact.character
        if fact.kind == "state":
            if fact.subject.casefold() == "dead":
                self.dead[name] = source
            else:
                self.dead.pop(name, None)
        elif fact.kind == "possession":
            prop = fact.subject.casefold()
            head = prop.split()[-1] if prop.split() else prop
            if fact.value.casefold() in {"lost", "destroyed"}:
                self.gone[head] = (prop, source)
            elif fact.value.casefold() == "has":
                self.gone.pop(head, None)
        elif fact.kind == "knowledge":
            teller = [m.name for m in self.names.find(fact.value)]
            self._learn([name, *teller], fact.subject)
        elif fact.kind == "relationship":
            family = t.kin(fact.value)
            other = self.names.resolve(fact.subject) or fact.subject
            if family:
                self.kin[(name, other)] = (family, source)
                self.kin[(other, name)] = (t.inverse(family), source)

    # reporting ------------------------------------------------------------------
    def _issue(
        self,
        kind: Kind,
        scene: SceneText,
        description: str,
        line: int | None = None,
        fact: Source | None = None,
    ) -> None:
        evidence = ""
        if fact is not None:
            where = (
                self.canon.source
                if fact.episode == BIBLE
                else f"episode {fact.episode}, scene {fact.scene}"
            )
            evidence = f"{fact.text} ({where})"[:600]
        issue = ContinuityIssue(
            kind=kind,
            severity="error",
            scene=scene.number,
            line=line,
            description=description[:600],
            evidence=evidence,
            fact_episode=fact.episode if fact else None,
            fact_scene=fact.scene if fact and fact.episode != BIBLE else None,
            found_by="rules",
        )
        key = (issue.kind, issue.scene, issue.line, issue.description)
        if all((i.kind, i.scene, i.line, i.description) != key for i in self.issues):
            self.issues.append(issue)

    def _here(self, scene: SceneText, text: str) -> Source:
        return Source(self.episode, scene.number, text)

    # the pass ---------------------------------------------------------------------
    def run(self) -> list[ContinuityIssue]:
        prior = None
        if self.canon.opening is not None:
            o = self.canon.opening
            ending = set(o.ending)
            prior = Prior(SceneText(o.scene, o.heading), ending, ending, o.episode)
            prior.time = t.heading(o.heading).time
        for scene in self.play.scenes:
            head = t.heading(scene.heading)
            action = " ".join(e.text for e in scene.elements if isinstance(e, Action))
            unnamed = self.names.strip(action)  # "GHOST DOCTOR" is no ghost
            unreal = head.flashback or bool(pat.UNREAL.search(unnamed))
            unreal = unreal or bool(pat.TOLD.search(scene.heading))
            if pat.REBORN.search(action):
                self.dead.clear()
            time = head.time
            if prior is not None and (head.continuous or head.same_time):
                time = self._timeline(scene, head, prior)
                if not unreal and not self._intercut(scene, prior.scene):
                    self._places(scene, head, prior)
            self._scene(scene, unreal)
            prior = Prior(scene, self.presence(scene), self.ending(scene), self.episode, time)
        return self.issues

    @staticmethod
    def _intercut(*scenes: SceneText) -> bool:
        """Whether the scenes are cut together (a phone call, INTERCUT): two places at once."""
        return any(
            pat.INTERCUT.search(s.heading)
            or any(isinstance(e, Action) and pat.INTERCUT.search(e.text) for e in s.elements)
            for s in scenes
        )

    def _present_in(self, element: Action | Dialogue, moving: bool = False) -> set[str]:
        """Who is physically in `element` (with `moving`, only those not on the move)."""
        if isinstance(element, Dialogue):
            name = self._speaker(element.speaker)
            return {name} if name and element.extension.upper() not in pat.ABSENT else set()
        if moving and pat.MOVES.search(element.text):
            return set()  # the moment shows people on the move
        here = set()
        for sentence in t.sentences(element.text):
            if not pat.REMOTE.search(sentence):
                here |= {m.name for m in self.names.find(sentence) if not m.possessive}
        return here

    def presence(self, scene: SceneText) -> set[str]:
        """Everyone physically in the scene."""
        return set().union(*(self._present_in(e) for e in scene.elements))

    def ending(self, scene: SceneText) -> set[str]:
        """Who is in the scene's last moment and not leaving it."""
        return self._present_in(scene.elements[-1], moving=True) if scene.elements else set()

    def _speaker(self, cue: str) -> str | None:
        return self.names.resolve(cue) or self.drift.get(cue.casefold())

    def _timeline(self, scene: SceneText, head: t.Heading, prior: Prior) -> str:
        shown = head.time or t.action_time(
            " ".join(e.text for e in scene.elements if isinstance(e, Action))
        )
        if head.continuous and prior.time and shown and t.clashing_times(prior.time, shown):
            fact = Source(
                prior.episode,
                prior.scene.number,
                f"scene {prior.scene.number}: {prior.scene.heading}",
            )
            self._issue(
                "timeline",
                scene,
                f"scene {scene.number} is CONTINUOUS but shows {shown.upper()} after "
                f"{prior.time.upper()}",
                fact=fact,
            )
        return prior.time if head.continuous and prior.time else head.time

    def _places(self, scene: SceneText, head: t.Heading, prior: Prior) -> None:
        """A character in two places at once: in both of two SAME TIME scenes, or still in the
        last moment of a scene and, without moving, in the first of the CONTINUOUS next one."""
        here = head.location
        there = t.heading(prior.scene.heading).location
        if not here or not there or t.same_place(here, there):
            return
        if head.same_time:
            both = self.presence(scene) & prior.present
        else:
            first = scene.elements[0] if scene.elements else None
            both = (self._present_in(first, moving=True) if first else set()) & prior.ending
        for name in sorted(both):
            line = next(
                (d.line for d in scene.dialogue() if self._speaker(d.speaker) == name), None
            )
            fact = Source(prior.episode, prior.scene.number, f"{name} is at {there}")
            when = "at the same time" if head.same_time else "in continuous time, without moving"
            self._issue("location", scene, f"{name} is at {here} and at {there} {when}", line, fact)

    def _scene(self, scene: SceneText, unreal: bool) -> None:
        present = self.presence(scene)
        self.refs = Referents()
        for element in scene.elements:
            if isinstance(element, Dialogue):
                self._dialogue(scene, element, present, unreal)
                if name := self._speaker(element.speaker):
                    self.refs.saw([name])
            else:
                for sentence in t.sentences(element.text):
                    self._action(scene, sentence, unreal)
                    found = self.names.find(sentence)
                    self.refs.saw([m.name for m in found])
                    if found and PATIENT.search(sentence):
                        self.refs.patients.append(found[0].name)
                    self.refs.things.append(things(sentence))

    def _dialogue(self, scene: SceneText, d: Dialogue, present: set[str], unreal: bool) -> None:
        name = self._cue(scene, d)
        if name is None:
            return
        self._drift_in(scene, d.text, d.line)
        mentions = self.names.find(d.text)
        self._kinship(scene, d.text, mentions, d.line, speaker=name)
        if unreal:
            return
        absent = d.extension.upper() in pat.ABSENT or pat.HEARD.search(d.parenthetical)
        if name in self.dead and not absent:
            self._issue(
                "dead_character", scene, f"{name} speaks but is dead", d.line, self.dead[name]
            )
        self._secrets_spoken(scene, name, d, present)
        self._ages(scene, ages.stated(d.text, mentions, name), d.line)

    def _cue(self, scene: SceneText, d: Dialogue) -> str | None:
        """The cast member who speaks `d`; a near miss or a stranger is reported."""
        name = self.names.resolve(d.speaker)
        if name is not None:
            return name
        cast = Source(BIBLE, 0, f"the cast: {', '.join(self.names.cast)}")
        meant = self.drift.get(d.speaker.casefold()) or self.names.near_miss(d.speaker)
        if meant:
            description = f'"{d.speaker}" speaks: a near miss of {meant}'
            self._issue("name_drift", scene, description, d.line, cast)
        elif self.canon.cast:
            description = f'"{d.speaker}" speaks but is not in the cast'
            self._issue("unknown_speaker", scene, description, d.line, cast)
        return meant

    def _action(self, scene: SceneText, sentence: str, unreal: bool) -> None:
        mentions = self.names.find(sentence)
        self._drift_in(scene, sentence, None)
        self._kinship(scene, sentence, mentions, None)
        if unreal:
            return
        shown = not pat.REMOTE.search(sentence) and not pat.CORPSE.search(sentence)
        for m in mentions:
            death = self.dead.get(m.name)
            if death is None or m.possessive or not shown:
                continue
            if (death.episode, death.scene) == (self.episode, scene.number):
                if m.start < 3:  # acts again in the scene of the death: it was not one
                    self._revive(m.name)
            else:
                description = f"{m.name} appears but is dead: {sentence!r}"
                self._issue("dead_character", scene, description, fact=death)
        self._props(scene, sentence, mentions)
        self._ages(scene, ages.stated(sentence, mentions, None), None)
        self._secrets_seen(scene, sentence, mentions)
        for name in self.reader.deaths(self.refs, sentence, mentions):
            if name in self.dead and self.dead[name].scene == scene.number:
                continue
            self.dead[name] = self._here(scene, sentence)
            self.events.append(
                Known(self.episode, scene.number, name, "state", "dead", "", sentence)
            )

    def _revive(self, name: str) -> None:
        del self.dead[name]
        self.events = [e for e in self.events if not (e.character == name and e.subject == "dead")]

    def _drift_in(self, scene: SceneText, text: str, line: int | None) -> None:
        for written, meant in self.names.drifted(text):
            self._issue(
                "name_drift",
                scene,
                f'"{written}" is a near miss of {meant}',
                line,
                Source(BIBLE, 0, f"the cast: {', '.join(self.names.cast)}"),
            )

    def _props(self, scene: SceneText, sentence: str, mentions: list[Mention]) -> None:
        it = re.search(r"\b[Ii]t\b", sentence)
        thing = self.reader.thing(self.refs, sentence[: it.start()]) if it else None
        gone = pat.gone_props(sentence, thing)
        for prop, value in gone:
            self.gone[prop.split()[-1]] = (prop, self._here(scene, sentence))
            owner = next((m.name for m in mentions if m.possessive), "") or (
                mentions[0].name if mentions else ""
            )
            self.events.append(
                Known(self.episode, scene.number, owner, "possession", prop, value, sentence)
            )
        if gone:
            return
        for head, (prop, source) in list(self.gone.items()):
            if (source.episode, source.scene) == (self.episode, scene.number):
                continue
            if not re.search(rf"\b{re.escape(head)}(?:s|es)?\b", sentence, re.I):
                continue
            if pat.RECOVERED.search(sentence) or pat.REPLACED.search(sentence):
                del self.gone[head]
            elif pat.uses(prop, sentence):
                description = f"the {prop} is used but was lost or destroyed: {sentence!r}"
                self._issue("prop", scene, description, fact=source)

    def _ages(self, scene: SceneText, stated: list[tuple[str, int]], line: int | None) -> None:
        for name, age in stated:
            known = self.ages.get(name)
            if known is not None and abs(known - age) > 1:
                self._issue(
                    "age",
                    scene,
                    f"{name} is said to be {age}",
                    line,
                    Source(BIBLE, 0, f"{name} is {known}"),
                )

    def _kinship(self, scene, text, mentions: list[Mention], line, speaker=None) -> None:
        stated = ages.kinship(text, mentions, speaker)
        for who, whose, family in stated:
            known = self.kin.get((who, whose))
            if known is None:
                source = self._here(scene, f"{who} is {whose}'s {family}")
                self.kin[(who, whose)] = (family, source)
                self.kin[(whose, who)] = (t.inverse(family), source)
                self.events.append(
                    Known(self.episode, scene.number, who, "relationship", whose, family, text)
                )
            elif known[0] != family:
                self._issue(
                    "relationship",
                    scene,
                    f"{who} is called {whose}'s {family}, but is their {known[0]}",
                    line,
                    known[1],
                )
