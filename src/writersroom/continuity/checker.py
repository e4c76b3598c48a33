"""The continuity checker around the room: canon from memory, rules plus agent, and the gate.

The rules (`continuity_rules`) see contradictions on the page and in the ledger; the continuity
agent reads the draft against the retrieved facts for what rules cannot see. Their issues are
merged into one report; its errors block `approve_script` unless the person overrides. The
agent's errors of a kind the rules check in full stand only where the rules agree (`weigh`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from writersroom.agents import continuity
from writersroom.config import ProjectConfig, check_models, load_config
from writersroom.continuity import quality
from writersroom.continuity.canon import Canon, CanonCharacter, Known
from writersroom.continuity.rules import Rules
from writersroom.memory import Memory, open_database
from writersroom.memory.facts import Facts
from writersroom.memory.facts import merge as merge_facts
from writersroom.providers import ModelRegistry
from writersroom.room.context import Room
from writersroom.schemas import (
    ContinuityIssue,
    ContinuityReport,
    Decision,
    EpisodeFacts,
    Script,
    SeriesBible,
)
from writersroom.screenplay import fountain

MAX_ISSUES = 50  # a report's bound (schemas.ContinuityReport)
CUES = {"unknown_speaker", "name_drift"}  # the rules read every cue against the cast
KINDS_WALKED = 3  # one piece of evidence cited for this many kinds: a list walked, not a finding


def canon_for(memory: Memory, bible: SeriesBible, episode: int) -> Canon:
    """The bible's cast (ages, secrets) and the ledger of the episodes before `episode`."""
    ledger = Facts(memory.db)
    cast = [CanonCharacter(c.name, c.age, list(c.secrets)) for c in bible.characters]
    return Canon(cast, ledger.known(before=episode), episode, ledger.opening(episode))


def ruled(script: Script, canon: Canon) -> Rules:
    """The rules after their pass over `script`: their issues, and what they know."""
    rules = Rules(fountain.from_script(script), canon)
    rules.run()
    return rules


def known_dead(rules: Rules) -> set[str]:
    """Everyone the ledger or the script (as the rules read it) says died."""
    ledger = {
        rules.names.resolve(f.character) or f.character
        for f in rules.canon.facts
        if f.kind == "state" and f.subject.casefold() == "dead"
    }
    return ledger | {e.character for e in rules.events if e.subject == "dead"}


def weigh(agent: list[ContinuityIssue], rules: Rules) -> list[ContinuityIssue]:
    """The agent's issues, less the claims the rules (after their pass) disprove in full: a
    speaker outside the cast or a drifted name in a scene where the rules raised none (they
    read every cue against the cast). Its errors about a dead character are made warnings where
    the issue names nobody the ledger or the script has dead (the rules may miss a death told
    in other words).

    Issues that cite one piece of evidence for `KINDS_WALKED` or more kinds are dropped too: a
    contradiction has one kind, and a model that cites the same paragraph as a location, a
    prop, an age and an appearance error has walked the list of kinds, not read the script.

    A small model makes these up: the embedded one called cast members unknown speakers ("Alice
    is unknown in the scene", of the lead) and living people dead in a first episode, and its
    editor sent the script back for them. It also reported "The location of Lily and Mrs.
    Thompson has changed from the earlier episode." of a first episode, then the same of their
    timeline, prop, knowledge, relationship, appearance and age, each citing scene 2's action."""
    raised = {(i.kind, i.scene) for i in rules.issues}
    dead = known_dead(rules)
    walked = _walked(agent)

    def stands(issue: ContinuityIssue) -> bool:
        if issue.severity != "error" or issue.kind != "dead_character":
            return True
        named = rules.names.find(f"{issue.description} {issue.evidence}")
        return any(m.name in dead for m in named)

    return [
        i if stands(i) else i.model_copy(update={"severity": "warning"})
        for i in agent
        if (i.kind not in CUES or (i.kind, i.scene) in raised) and _cited(i) not in walked
    ]


def _cited(issue: ContinuityIssue) -> str:
    """An issue's evidence, as words to compare."""
    return " ".join(quality.words(issue.evidence))


def _walked(agent: list[ContinuityIssue]) -> set[str]:
    """The evidence (`_cited`) the agent gives for `KINDS_WALKED` or more kinds of issue."""
    kinds: dict[str, set[str]] = {}
    for issue in agent:
        kinds.setdefault(_cited(issue), set()).add(issue.kind)
    return {cited for cited, seen in kinds.items() if cited and len(seen) >= KINDS_WALKED}


def merge(rules: list[ContinuityIssue], agent: list[ContinuityIssue]) -> list[ContinuityIssue]:
    """The rules' issues and the agent's that the rules did not already raise, errors first."""
    seen = {(i.kind, i.scene, i.line) for i in rules}
    extra = [
        i.model_copy(update={"found_by": "agent"})
        for i in agent
        if (i.kind, i.scene, i.line) not in seen
    ]
    return sorted(rules + extra, key=lambda i: (i.severity != "error", i.scene, i.line or 0))


def report(rules: list[ContinuityIssue], agent: list[ContinuityIssue]) -> ContinuityReport:
    """One report of both layers, within a report's bound."""
    return ContinuityReport(issues=merge(rules, agent)[:MAX_ISSUES])


def reading_room(
    spec: str,
    folder: Path,
    episode: int = 1,
    config: ProjectConfig | None = None,
    memory: Memory | None = None,
) -> Room:
    """A room for the continuity agent on `spec` (PROVIDER:MODEL) alone: a series' config and
    memory, or `folder`'s writersroom.toml and no memory for a script outside any series."""
    config = (config or load_config(folder)).with_models({continuity.AGENT: spec})
    check_models(config)
    memory = memory or Memory(open_database(Path(":memory:")))
    return Room(config, memory, ModelRegistry(config, folder), episode, frozenset())


def cast_as_bible(play: fountain.Screenplay, canon: Canon) -> str:
    """What stands for the bible of a script outside any series: its cast, or its speakers."""
    cast = [m.name + (f" ({m.age})" if m.age else "") for m in canon.cast] or list(
        dict.fromkeys(d.speaker for s in play.scenes for d in s.dialogue())
    )
    return f"(no bible: the cast on the script's title page or its speakers) {', '.join(cast)}"


def episode_memory(
    script: Script, canon: Canon, extracted: EpisodeFacts
) -> tuple[list[tuple[Known, str]], list[dict[str, Any]]]:
    """The facts (the model's, then what the rules saw happen) and scenes for the ledger."""
    play = fountain.from_script(script)
    rules = Rules(play, canon)
    rules.run()
    model = [
        Known(canon.episode, f.scene, f.character, f.kind, f.subject, f.value, f.text)
        for f in extracted.facts
    ]
    scenes = []
    for scene, original in zip(play.scenes, script.scenes, strict=True):
        lines = [f"{line.speaker}: {line.text}" for line in original.lines]
        scenes.append(
            {
                "scene": scene.number,
                "heading": scene.heading,
                "present_at_end": sorted(rules.ending(scene)),  # for a CONTINUOUS sequel
                "text": "\n".join([original.action, *lines]),
            }
        )
    return merge_facts(model, rules.events), scenes


def ruled_errors(report: ContinuityReport) -> list[ContinuityIssue]:
    """The report's errors that the rules found (and the script's own repeats): each backed by
    the ledger, the bible or the page. These alone send a script back and block approval."""
    return [i for i in report.errors() if i.found_by == "rules"]


def blocking(
    decision: Decision, report: dict[str, Any], state: dict[str, Any], memory: Memory
) -> list[ContinuityIssue]:
    """The continuity errors that stop `decision` at approve_script (none when overridden).

    An approval is stopped by the rules' errors in the report, each backed by a fact of the
    ledger or the bible; an edit by the rules' errors in the edit. The continuity agent's own
    findings go to the editor and the person but do not block: a model can be wrong.
    """
    if decision.override or decision.action == "revise":
        return []
    if decision.action == "approve":
        return ruled_errors(ContinuityReport.model_validate(report))
    bible = SeriesBible.model_validate(state["bible"])
    try:
        script = Script.model_validate(decision.draft)
    except ValidationError:
        return []  # not a script at all: the edit's own validation says why
    canon = canon_for(memory, bible, state["episode"])
    return [i for i in ruled(script, canon).issues if i.severity == "error"]


def describe(issue: ContinuityIssue) -> str:
    """`scene 2, line 1: what is wrong; contradicts: the fact (episode 1, scene 3)`."""
    where = f"scene {issue.scene}" + (f", line {issue.line}" if issue.line else "")
    evidence = f"; contradicts: {issue.evidence}" if issue.evidence else ""
    return f"{where}: {issue.description}{evidence}"


def refusal(errors: list[ContinuityIssue]) -> str:
    first = describe(errors[0])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return (
        f"the script has {len(errors)} continuity error(s): {first}{more}; fix them with "
        "`revise --notes ...` or `edit`, or accept them with `approve --override`"
    )
