"""A second list of phrasings, written after the rules were last changed and measured once.

`writersroom eval planted --phrasings second`: the figures on this list, not on the first (whose
misses were studied while the rules were written), are the honest estimate of recall on
phrasings nobody tuned to. Same placeholders as `planting_phrases`.
"""

from __future__ import annotations

DEATHS_SAID = [
    "{n} chokes on the poisoned tea and dies within the minute.",
    "The fall kills {n} instantly.",
    "{n} is struck by the truck and killed on impact.",
    "{n} passes on before dawn, {s} hand in the nurse's.",
    "{n} takes the blade meant for another and dies in the snow.",
    "By morning {n} is dead of the fever.",
    "{n}'s heart gives out on the stairs. {n} dies alone.",
    "The assassin's dart strikes {n}; {n} is dead before {p} hits the ground.",
]
DEATHS_PRONOUN = [
    "{n} sways at the cliff's edge. Then {p} falls, and {p} dies on the rocks.",
    "{n} drinks the wine. Moments later {p} is dead.",
    "{n} shields the child from the blast. {P} dies a hero.",
    "{n} lies bleeding in the alley. {P} bleeds to death before help comes.",
    "The guards drag {n} to the block. They behead {o} at noon.",
]
DEATHS_SHOWN = [
    "A black-framed portrait of {n} stands among white chrysanthemums.",
    "Monks chant beside {n}'s coffin.",
    "The family kneels at {n}'s wake, dressed in mourning white.",
    "The doctor pulls the sheet over {n}'s face. Time of death: 4:12.",
    "{n}'s ashes rest in a jade urn on the altar.",
]
PROPS = ["gold bangle", "letter opener", "ivory comb", "silk scarf", "phoenix hairpin", "compass"]
PROP_LOST = [
    "{n} snaps the {x} in half and tosses the pieces aside.",
    "{n} throws the {x} off the bridge into the river.",
    "{n} burns the {x} in the candle flame.",
    "{n} loses the {x} somewhere in the market crowd.",
    "{n} takes out the {x}. {P} crushes it underfoot.",
    "The {x} falls from {n}'s window and breaks on the street below.",
]
PROP_USED = [
    "{n} tucks the {x} into {s} sleeve.",
    "{n} toys with the {x} while {p} waits.",
    "{n} lays the {x} on the desk.",
    "{n} holds the {x} up to the lamp.",
]
AGES_ACTION = [
    "{n}, now {a}, steps into the hall.",
    "At {a}, {n} is the youngest of them.",
    "{n} ({a}) sits at the head of the table.",
    "{n} has just turned {a}.",
]
AGES_SPOKEN = [
    "I'm {a} this year. Stop treating me like a child.",
    "I'm {a} years old!",
    "Do you know how it feels to be {a} and have nothing?",
]
