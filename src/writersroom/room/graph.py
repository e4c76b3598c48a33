"""The room as a LangGraph state machine: the nodes first, the wiring at the bottom.

A drafting node asks its agent, stores the draft as a new revision and routes to its checkpoint.
A checkpoint node waits for a person with `interrupt()` (or approves on its own when it is not
one of the run's stops), records the decision, and routes: approve -> on, revise -> back to the
drafting node with the notes, edit -> on with the person's draft. Every write is an upsert keyed
by revision, so a node that re-runs after a crash writes the same rows again, not new ones.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any, Literal, cast

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel

from writersroom.agents import continuity, director, editor, screenwriter, showrunner
from writersroom.agents._drafts import dump
from writersroom.continuity import checker, quality
from writersroom.errors import ModelError
from writersroom.memory import EpisodeStatus
from writersroom.memory.facts import Facts
from writersroom.room import answers, production
from writersroom.room.checkpoints import decide, save
from writersroom.room.context import Room
from writersroom.room.estimate import check_budget
from writersroom.room.state import RoomInput, RoomState
from writersroom.schemas import (
    ContinuityIssue,
    ContinuityReport,
    Decision,
    EpisodeOutline,
    Script,
    SeriesBible,
    ShotList,
)
from writersroom.screenplay import fountain

# langgraph's END, typed as the Literal that `Command[Literal[...]]` routes name
FINISH = cast(Literal["__end__"], END)


def _previous(state: RoomState, key: str, schema: type[BaseModel]) -> Any:
    draft = dict(state).get(key)
    return None if draft is None else schema.model_validate(draft)


# drafting nodes -------------------------------------------------------------
def develop_series(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["approve_bible"]]:
    room = runtime.context
    bible = showrunner.develop_series(
        room, state["premise"], state.get("notes", ""), _previous(state, "bible", SeriesBible)
    )
    content = bible.model_dump(mode="json")
    revisions = save(room, state, "bible", content, showrunner.AGENT)
    return Command(
        goto="approve_bible", update={"bible": content, "notes": "", "revisions": revisions}
    )


def outline_episode(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["approve_outline"]]:
    room = runtime.context
    outline = showrunner.outline_episode(
        room,
        SeriesBible.model_validate(state["bible"]),
        state["episode"],
        room.memory.summaries(before=state["episode"]),
        state.get("notes", ""),
        _previous(state, "outline", EpisodeOutline),
    )
    content = outline.model_dump(mode="json")
    revisions = save(room, state, "outline", content, showrunner.AGENT)
    return Command(
        goto="approve_outline", update={"outline": content, "notes": "", "revisions": revisions}
    )


def write_script(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["check_continuity"]]:
    room = runtime.context
    script = screenwriter.write_script(
        room,
        SeriesBible.model_validate(state["bible"]),
        EpisodeOutline.model_validate(state["outline"]),
        state.get("notes", ""),
        _previous(state, "script", Script),
        frozenset(state.get("rewrite", [])),
    )
    content = script.model_dump(mode="json")
    revisions = save(room, state, "script", content, screenwriter.AGENT)
    update = {"script": content, "notes": "", "rewrite": [], "revisions": revisions}
    return Command(goto="check_continuity", update=update)


def check_continuity(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["review_script"]]:
    """Two layers: the rules over the script and the ledger (and the script's own repeats),
    then the continuity agent (weighed against the rules), unless the repeats send the script
    back anyway."""
    room = runtime.context
    bible = SeriesBible.model_validate(state["bible"])
    script = Script.model_validate(state["script"])
    rules = checker.ruled(script, checker.canon_for(room.memory, bible, state["episode"]))
    repeats = [problem.as_issue() for problem in quality.script_problems(script)]
    if repeats and state.get("review_round", 0) < room.config.room.review_rounds:
        report = checker.report(rules.issues + repeats, [])  # going back anyway: no model reads it
    else:
        agent = continuity.check_continuity(
            room,
            dump(bible),
            fountain.from_script(script),
            room.memory.summaries(before=state["episode"]),
        )
        report = checker.report(rules.issues + repeats, checker.weigh(agent, rules))
    content = report.model_dump(mode="json")
    revisions = save(room, state, "continuity", content, continuity.AGENT)
    return Command(goto="review_script", update={"continuity": content, "revisions": revisions})


def review_script(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["write_script", "approve_script"]]:
    """The editor's critique, unless the script repeats itself: then it goes straight back to
    the screenwriter with those problems (a revision round; no model judges garbage). It goes
    back when the editor says so or the rules found errors; the continuity agent's findings
    reach the editor and the screenwriter's notes, but a model can be wrong, and alone they
    send nothing back (as they block no approval). A revision that stands no better than a
    draft before it (more rule-found errors, or no higher total from the editor) ends the
    rounds, and the better draft stands."""
    room = runtime.context
    report = ContinuityReport.model_validate(state["continuity"])
    rounds = state.get("review_round", 0)
    script = Script.model_validate(state["script"])
    problems = quality.script_problems(script)
    if problems and rounds < room.config.room.review_rounds:
        notes = "\n".join(f"Fix: {problem}" for problem in problems)
        rewrite = sorted({problem.scene for problem in problems})
        return Command(
            goto="write_script",
            update={"notes": notes, "rewrite": rewrite, "review_round": rounds + 1},
        )
    critique = editor.review_script(
        room,
        EpisodeOutline.model_validate(state["outline"]),
        script,
        report,
    )
    content = critique.model_dump(mode="json")
    revisions = save(room, state, "critique", content, editor.AGENT)
    ruled = checker.ruled_errors(report)
    standing = [-len(ruled), critique.total()]
    best = state.get("reviewed")
    if best and best["standing"] >= standing:
        # the revision is no better than a draft before it: the rounds end, and that one stands
        restored = _restore(room, {**state, "revisions": revisions}, best)
        return Command(goto="approve_script", update=restored)
    update: dict[str, Any] = {"critique": content, "revisions": revisions}
    update["reviewed"] = {
        "script": state["script"],
        "continuity": state["continuity"],
        "critique": content,
        "standing": standing,
    }
    if (critique.verdict == "revise" or ruled) and rounds < room.config.room.review_rounds:
        review = [f"Editor: {note}" for note in critique.notes]
        review += [f"Continuity ({checker.describe(i)})" for i in report.issues]
        # the editor's low scores are about the whole script, or about the opening or the
        # closing scene only (a hook, a cliffhanger); the rules' errors are in their scenes
        about = critique.scenes_to_rewrite(script)
        rewrite = [] if about is None else sorted({*about, *(i.scene for i in ruled)})
        update |= {"notes": "\n".join(review), "rewrite": rewrite, "review_round": rounds + 1}
        return Command(goto="write_script", update=update)
    return Command(goto="approve_script", update=update)


def _restore(room: Room, state: RoomState, best: dict[str, Any]) -> dict[str, Any]:
    """The best reviewed draft, its report and its critique, saved again as the latest
    revisions (the ones the checkpoint shows and a person decides on), by the editor who put
    them back."""
    revisions = state.get("revisions", {})
    for kind in ("script", "continuity", "critique"):
        revisions = save(room, {**state, "revisions": revisions}, kind, best[kind], editor.AGENT)
    return {
        "script": best["script"],
        "continuity": best["continuity"],
        "critique": best["critique"],
        "revisions": revisions,
    }


def plan_shots(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["approve_shots"]]:
    room = runtime.context
    outline = EpisodeOutline.model_validate(state["outline"])
    shots = director.plan_shots(
        room,
        SeriesBible.model_validate(state["bible"]),
        Script.model_validate(state["script"]),
        outline.target_runtime_seconds,
    )
    content = shots.model_dump(mode="json")
    revisions = save(room, state, "shots", content, director.AGENT)
    return Command(goto="approve_shots", update={"shots": content, "revisions": revisions})


# checkpoints ------------------------------------------------------------------
def approve_bible(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["develop_series", "outline_episode"]]:
    room = runtime.context
    decision, update = decide(state, room, "approve_bible")
    if decision.action == "revise":
        return Command(goto="develop_series", update=update)
    room.memory.save_bible(update.get("bible", state["bible"]))
    return Command(goto="outline_episode", update=update)


def approve_outline(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["outline_episode", "write_script"]]:
    room = runtime.context
    decision, update = decide(state, room, "approve_outline")
    if decision.action == "revise":
        return Command(goto="outline_episode", update=update)
    outline = update.get("outline", state["outline"])
    room.memory.upsert_episode(state["episode"], title=outline["title"], outline=outline)
    return Command(goto="write_script", update=update | {"review_round": 0, "reviewed": None})


def approve_script(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["write_script", "plan_shots", "approve_script"]]:
    """Continuity errors block the script (even in an --auto run) unless the person overrides."""
    room = runtime.context

    def gate(decision: Decision) -> list[ContinuityIssue]:
        return checker.blocking(decision, state["continuity"], dict(state), room.memory)

    decision, update = decide(state, room, "approve_script", gate)
    if update is None:  # refused: wait for another decision
        return Command(goto="approve_script")
    if decision.action == "revise":
        return Command(goto="write_script", update=update | {"review_round": 0, "reviewed": None})
    room.memory.upsert_episode(state["episode"], script=update.get("script", state["script"]))
    return Command(goto="plan_shots", update=update)


def approve_shots(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["plan_shots", "remember"]]:
    room = runtime.context
    decision, update = decide(state, room, "approve_shots")
    if decision.action == "revise":
        return Command(goto="plan_shots", update=update)
    room.memory.upsert_episode(state["episode"], shots=update.get("shots", state["shots"]))
    return Command(goto="remember", update=update)


def remember(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["direct", "__end__"]]:
    """Write what the episode established into series memory: the story is settled once its
    script and shots are approved, so the next episode can be written whatever production does.

    The facts (the continuity agent's, and what the rules saw happen), the scenes, the summary
    and the status are written in one transaction that replaces any earlier attempt's, so a
    run killed here leaves nothing half-written and its re-run writes each fact once.
    """
    room = runtime.context
    bible = SeriesBible.model_validate(state["bible"])
    outline = EpisodeOutline.model_validate(state["outline"])
    script = Script.model_validate(state["script"])
    extracted = continuity.extract_facts(room, bible, outline, script)
    canon = checker.canon_for(room.memory, bible, state["episode"])
    facts, scenes = checker.episode_memory(script, canon, extracted)
    Facts(room.memory.db).record_episode(
        state["episode"],
        facts,
        scenes,
        f"{extracted.summary} It ends: {outline.cliffhanger}",
        extracted.open_threads,
        status=EpisodeStatus.REMEMBERED,
    )
    return Command(goto="direct" if room.config.production.enabled else FINISH)


# production -------------------------------------------------------------------
def _drafts(state: RoomState) -> tuple[SeriesBible, Script, ShotList]:
    return (
        SeriesBible.model_validate(state["bible"]),
        Script.model_validate(state["script"]),
        ShotList.model_validate(state["shots"]),
    )


def direct(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["run_tools", "cut_episode"]]:
    """The director answers with tool calls (video, voice, lip-sync) for the next few shots
    that still lack one; once none does, on to the cut. A director's model that cannot call
    tools (llama.cpp) is not asked: the calls are those the approved shot list owes, all at
    once (held by a grammar to them, a small model only copied them, at some 20 tokens a
    call)."""
    room = runtime.context
    drafts = _drafts(state)
    direction = dict(state.get("direction", {}))
    if direction.get("invocation") != room.invocation:  # a new run (or a resume) starts afresh
        direction |= {"invocation": room.invocation, "stalled": 0}
        # checked before the studio opens, which draws the cast's sheets still to draw
        unopened = production.open_production(room, drafts, direction.get("run"), draw=False)
        check_budget(unopened, room.config.production, state["episode"])
    studio = production.open_production(room, drafts, direction.get("run"))
    direction["run"] = studio.cache.run
    asks = room.models.for_agent(director.AGENT).calls_tools
    size = room.config.production.shots_per_answer if asks else len(studio.plan)
    shots = production.next_shots(studio, size)
    if not shots:
        update = {"direction": direction, "production": production.summary(studio)}
        return Command(goto="cut_episode", update=update)
    if not asks:
        direction |= {"shots": shots, "calls": studio.owed_calls(shots), "invalid": []}
        return Command(goto="run_tools", update={"direction": direction | {"usage": None}})
    asked = [shot for shot in drafts[2].shots if shot.number in shots]
    reply, usage = production.ask_director(
        room, studio, drafts[0], asked, direction.get("refused", "")
    )
    direction |= {
        "shots": shots,
        "calls": reply.tool_calls,
        "invalid": reply.invalid_tool_calls,
        "usage": dataclasses.asdict(usage),
    }
    return Command(goto="run_tools", update={"direction": direction})


def run_tools(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["direct"]]:
    """The director's calls carried out (through the render cache: a call made before a crash
    is a copy, never paid twice) and the accepted ones kept with the episode. Back to the
    director for what is refused or still owed; `answer_attempts` answers in a row of this
    run that add nothing fail the run."""
    room = runtime.context
    direction = dict(state["direction"])
    studio = production.open_production(room, _drafts(state), direction["run"])
    shots = direction["shots"]
    owed = len(studio.owed(shots))
    refused = production.carry_out(studio, direction["calls"], direction["invalid"])
    room.memory.upsert_episode(state["episode"], calls=json.dumps(studio.accepted))
    missing = studio.missing(shots)
    model = room.models.for_agent(director.AGENT).name
    if direction["usage"] is not None:  # the director's answer, not the shot list's calls
        usage = answers.Usage(**direction["usage"])
        model = usage.model
        room.record(dataclasses.replace(usage, problem="; ".join(missing)))
    if not missing or len(studio.owed(shots)) < owed:
        stalled = 0
    elif direction["invocation"] == room.invocation:
        stalled = direction["stalled"] + 1
    else:  # an answer of an earlier run carried out again on resume: it was counted there
        stalled = 0
    if stalled >= room.config.room.answer_attempts:
        raise ModelError(
            director.AGENT,
            model,
            f"shots still lack tool calls after {stalled} answers that added none: "
            + "; ".join(missing),
        )
    kept = {"run": direction["run"], "refused": refused if missing else ""}
    kept |= {"stalled": stalled, "invocation": room.invocation}
    return Command(goto="direct", update={"direction": kept})


def cut_episode(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["__end__"]]:
    """The editor assembles the shots, voices and subtitles into the episode's video."""
    room = runtime.context
    room.report(editor.AGENT, "cut_episode", None)
    outline = EpisodeOutline.model_validate(state["outline"])
    titles = (state["bible"]["title"], state["script"]["title"], outline.target_runtime_seconds)
    cut = production.cut(
        room.config, room.memory, room.models.project, state["episode"], state["production"], titles
    )
    return Command(goto=FINISH, update={"cut": cut})


# wiring -----------------------------------------------------------------------
def start(state: RoomInput) -> Literal["develop_series", "outline_episode"]:
    """A series starts with its bible; a later episode brings the approved one."""
    return "outline_episode" if "bible" in state else "develop_series"


NODES = (
    develop_series,
    approve_bible,
    outline_episode,
    approve_outline,
    write_script,
    check_continuity,
    review_script,
    approve_script,
    plan_shots,
    approve_shots,
    remember,
    direct,
    run_tools,
    cut_episode,
)


def build_graph(
    context_schema: type = Room, wrap: Callable[[Callable], Callable] | None = None
) -> StateGraph[RoomState, Any, RoomInput, Any]:
    """The room's graph, uncompiled: the caller chooses the checkpointer.

    `wrap` (with its `context_schema`) lets a host that cannot build a `Room` itself, such as
    LangGraph Studio, hand every node one (see `writersroom.room.server`).
    """
    builder = StateGraph(RoomState, context_schema=context_schema, input_schema=RoomInput)
    for node in map(_announced, NODES):
        builder.add_node(wrap(node) if wrap else node)
    builder.add_conditional_edges(START, start)
    return builder


@functools.cache
def compiled() -> CompiledStateGraph[RoomState, Any, RoomInput, Any]:
    """The room's graph compiled once per process; each project gives a copy its checkpointer."""
    return build_graph().compile()


def _announced(node: Callable[..., Any]) -> Callable[..., Any]:
    """`node`, telling its room that it runs (the run lock's file names it to other processes)."""

    @functools.wraps(node)
    def run(state: RoomState, runtime: Runtime[Room]) -> Any:
        runtime.context.announce(node.__name__)
        return node(state, runtime)

    return run
