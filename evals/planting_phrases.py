"""How writers put a death, a lost prop or an age on the page: the planted set's phrasings.

Kept apart from the continuity rules' word lists on purpose (nothing here is imported by the
rules, nor written from their patterns): a phrasing the rules do not read is a miss to count,
not a case to drop. `{n}` is the character's name as the script writes it, `{p}`/`{P}` the
subject pronoun, `{o}` the object pronoun, `{s}` the possessive, `{x}` a prop, `{a}` an age.
"""

from __future__ import annotations

DEATHS_SAID = [
    "{n} collapses and dies before anyone can reach {o}.",
    "{n} takes one last rattling breath, then nothing.",
    "{n} is dead.",
    "A bullet catches {n} in the chest. {n} dies where {p} falls.",
    "{n} passes away quietly in the night.",
    "The guards run {n} through. {n} is killed instantly.",
    "{n} slumps against the wall, dead.",
    "Poison takes hold. {n} dies in agony.",
    "{n} is murdered in the corridor, the knife still in {s} back.",
    "{n} bleeds out on the cold floor.",
    "{n} drowns, the current pulling {o} under for good.",
    "{n} breathes {s} last.",
]
DEATHS_PRONOUN = [
    "{n} staggers against the railing. {P} dies a moment later.",
    "{n} clutches {s} chest and sinks to the floor. {P} is dead before the doctor arrives.",
    "{n} turns to run. The arrow finds {o}, and {p} falls dead.",
    "{n} gasps for air. Then {p} stops breathing.",
    "{n} lies still on the stones. {P} will never wake again.",
    "{n} reaches for the door. {P} never makes it; {p} dies on the threshold.",
    "{n} coughs blood into {s} sleeve. Minutes later {p} is gone.",
    "{n} falls from the tower. The body lies twisted on the courtyard stones.",
]
DEATHS_SHOWN = [
    "Later: mourners in white file past {n}'s coffin.",
    "That night, {n}'s funeral. Incense smoke curls over the altar.",
    "A portrait of {n}, draped in black, stands above the altar.",
    "{n}'s heart monitor flatlines. A long, unbroken tone.",
    "{n} lies in an open casket, hands folded.",
    "The obituary of {n} runs on the front page.",
    "Rain on a fresh headstone: {n}'s name, cut in granite.",
    "Servants carry {n}'s body out under a white sheet.",
]
PROPS = [
    "jade bracelet", "silver locket", "pocket watch", "wedding ring", "family seal",
    "hairpin", "diary", "music box", "necklace", "brooch", "signet ring", "fan",
]  # fmt: skip
PROP_LOST = [
    "{n} smashes the {x} against the floor.",
    "{n} hurls the {x} into the lake.",
    "{n} feeds the {x} to the fire and watches it burn.",
    "{n} takes out the {x}. {P} throws it into the river.",
    "The {x} slips from {n}'s fingers and shatters on the marble.",
    "{n} grinds the {x} under {s} heel until it is dust.",
    "{n} holds up the {x}. It cracks in two in {s} grip.",
    "A thief snatches the {x} from {n} and vanishes into the crowd. The {x} is gone.",
    "{n} drops the {x} down the well.",
    "{n} sets the {x} on the brazier. It burns to ash.",
]
PROP_USED = [
    "{n} fingers the {x}, lost in thought.",
    "{n} polishes the {x} on {s} sleeve.",
    "{n} clasps the {x} tightly.",
    "{n} shows the {x} to the others.",
    "{n} wears the {x} openly tonight.",
    "{n} sets the {x} on the table between them.",
]
AGES_ACTION = [
    "{n}, {a}, looks every year of it tonight.",
    "{n} is {a} years old today.",
    "The {a}-year-old {n} steadies {o}self.",
    "{n} ({a}) waits by the door.",
    "{n} turns {a} today, and no one remembers.",
]
AGES_SPOKEN = [
    "I'm {a}. I know what I'm doing.",
    "I am {a} years old, not a child.",
    "I turned {a} last week.",
]
