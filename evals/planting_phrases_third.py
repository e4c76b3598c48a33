"""A third list of phrasings, written after the second list's misses were fixed, measured once.

`writersroom eval planted --phrasings third`. Same placeholders as `planting_phrases`.
"""

from __future__ import annotations

DEATHS_SAID = [
    "{n} never recovers from the wound and dies three days later.",
    "The snake's venom works fast; {n} is dead within the hour.",
    "{n} goes over the railing and is killed by the fall.",
    "{n} dies in the fire.",
    "The soldiers cut {n} down where {p} stands. {n} is slain.",
    "{n} is found dead in the bathtub the next morning.",
    "{n} was murdered last night, the police say.",
    "{n} slips beneath the black water and drowns.",
]
DEATHS_PRONOUN = [
    "{n} coughs, smiles faintly, and then {p} dies in the rain.",
    "The rope pulls tight around {n}'s neck. {P} dies without a sound.",
    "{n} lifts the cup. By the time it is empty, {p} is dead.",
    "{n} crawls toward the door, leaving a trail of blood. {P} does not make it.",
    "The gunman fires twice at {n}. {P} is dead before {p} hits the floor.",
]
DEATHS_SHOWN = [
    "White banners hang over the gate for {n}'s funeral.",
    "{n}'s name is carved on a new tombstone in the family cemetery.",
    "Mourners burn paper money before {n}'s memorial tablet.",
    "The coroner unzips the bag: {n}'s corpse, pale and still.",
    "The ECG traces a flat line above {n}'s bed.",
]
PROPS = ["jade seal", "pearl earring", "bronze mirror", "wristwatch", "photo album", "dagger"]
PROP_LOST = [
    "{n} hurls the {x} against the wall, and it shatters.",
    "{n} drops the {x} into the harbour.",
    "The {x} goes up in flames with the rest of the study.",
    "{n} stamps on the {x} until it breaks.",
    "{n} lets the {x} sink into the pond.",
    "Someone steals the {x} from {n}'s room; the {x} is gone.",
]
PROP_USED = [
    "{n} turns the {x} over in {s} hands.",
    "{n} hands the {x} to the stranger.",
    "{n} glances at the {x} and smiles.",
    "{n} hides the {x} under the pillow.",
]
AGES_ACTION = [
    "{n}, {a} years old, opens the door.",
    "{n} is only {a}.",
    "A cake with {a} candles waits for {n}.",
    "{n}, aged {a}, takes the oath.",
]
AGES_SPOKEN = [
    "I'm {a}, not a child anymore.",
    "I'll be {a} next month.",
    "Since I was born, {a} years have passed.",
]
