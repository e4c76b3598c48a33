"""Reading action as a reader does: who "he", "she", "it" and "the body" are, and who died.

A rule-based resolver, scene by scene: a personal pronoun refers to the most recent character
of its gender (learned from the script's own he/she after each name); "it" to the first thing
handled in the sentence, else in the sentences before (places and body parts are not things).
A death counts when it is said ("Hao dies", "X stabs him to death"), stated with a pronoun
("He is dead"), or shown (his funeral, her coffin, a portrait draped in black, a flatline), and
not when it is hypothetical, foreseen, feigned or told as a story.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from writersroom.continuity.names import Mention, Names

MALE, FEMALE = "m", "f"
HE = re.compile(r"\b(he|him|his|himself)\b|他", re.I)
SHE = re.compile(r"\b(she|her|hers|herself)\b|她", re.I)
PRONOUN = r"(?:he|she|him|her|his|hers)"
SUBJECT = re.compile(r"\s*(He\b|She\b|他|她)")
SELF_HE = re.compile(r"\bhimself\b|^[^,]+,\s+his\b", re.I)
SELF_SHE = re.compile(r"\bherself\b|^[^,]+,\s+her\b", re.I)
TITLES = {
    MALE: re.compile(
        r"\b(MR|SIR|LORD|KING|EMPEROR|PRINCE|DUKE|FATHER|DAD|BROTHER|HUSBAND|SON|UNCLE|"
        r"GRANDPA|GRANDFATHER|BOY|MAN|GENTLEMAN|MONK)\b|先生|少爷|王爷|皇帝|父亲|哥哥|弟弟",
        re.I,
    ),
    FEMALE: re.compile(
        r"\b(MRS|MS|MISS|MADAM|LADY|QUEEN|EMPRESS|PRINCESS|CONSORT|MOTHER|MOM|MUM|SISTER|WIFE|"
        r"DAUGHTER|AUNT|GRANDMA|GRANDMOTHER|GIRL|WOMAN|NUN)\b|小姐|夫人|皇后|公主|母亲|姐姐|妹妹",
        re.I,
    ),
}

# Said: the subject dies.
DIES = re.compile(
    r"\b(dies|died|is dead|was dead|lies dead|falls dead|drops dead|is killed|was killed|"
    r"is murdered|was murdered|is executed|was executed|is slain|passes away|passed away|"
    r"perishes|succumbs|drowns|drowned|is shot dead|is stabbed to death|is beaten to death|"
    r"bleeds to death|"
    r"bleeds out|breathes (?:his|her|their) last|"
    r"(?:takes|draws|breathes|lets out) (?:his|her|their|one|a) (?:\w+ )?last (?:\w+ )?breath|"
    r"stops breathing|goes limp and still|is pronounced dead|is no more|is gone for good|"
    r"never (?:wakes?|opens? (?:his|her|their) eyes)(?: up)? again|will never wake(?: up)?|"
    r"passe[sd] on(?!\s+(?:the|a|an|his|her|their|my|this|that|it)\b)|"
    r"(?:and|,)\s+(?:is\s+)?killed)\b"
    r"|,\s*dead(?=\s*[.!;]|$)"
    r"|死了|去世|身亡|断气|咽气|气绝|毙命|被杀|遇害|被害死|被处死|死去",
    re.I,
)
# Said: someone kills the object ("poisons Mei to death", "kills him").
KILL_VERB = r"(?:kill|murder|execute|slay|assassinate|behead)(?:s|ed)?|slew"
KILLS = re.compile(rf"\b(?:{KILL_VERB})\s+$", re.I)
TO_DEATH = re.compile(r"^\s+(?:to death|dead)\b", re.I)
# Shown: the signs of a death, owned by the dead ("her funeral", "the coffin of Hao").
SHOWN = re.compile(
    r"\b(funeral|wake|burial|coffin|casket|tombstone|headstone|urn|obituary|memorial service|"
    r"corpse|dead body|lifeless body|death certificate|ashes|black-framed (?:portrait|photo\w*)|"
    r"memorial portrait|funeral portrait)\b"
    r"|葬礼|灵堂|遗像|棺材|灵位|牌位|遗体|尸体|墓碑",
    re.I,
)
DRAPED = re.compile(
    r"\b(portrait|photo\w*|picture)\b.*\b(draped in black|black ribbon|black sash|black crepe|"
    r"black frame|black-framed|mourning)\b",
    re.I,
)
FLATLINE = re.compile(
    r"\b(flatlines?|flat-lines?|flat line|flatlining|long steady tone|monitor goes flat|"
    r"heart monitor goes silent|time of death)\b|心电图.{0,4}(?:直线|拉平)",
    re.I,
)
OWNED_BODY = re.compile(
    r"\b(?:body|corpse)\b.*\b(carr\w+|drag\w+|sheet|shroud\w*|cover\w*|buri\w+|wrap\w+|"
    r"stretcher|morgue|lifeless|cold|limp)\b",
    re.I,
)
PATIENT = re.compile(
    r"\b(lies in (?:a |the |his |her )?(?:hospital )?bed|hospital bed|unconscious|comatose|"
    r"hooked up|on life support|on a ventilator|oxygen mask)\b|病床|昏迷",
    re.I,
)
BODY = re.compile(
    r"\b(?:the|his|her)\s+(?:lifeless\s+|dead\s+|limp\s+|cold\s+)?(?:body|corpse)\s+"
    r"(?:lies|is carried|is wheeled|is pulled|is covered|is found|is lowered|hangs|goes cold|"
    r"is zipped)\b",
    re.I,
)
# Not a death: a condition, a near miss, a pretence, a foreseeing, a story.
NOT_DEATH = re.compile(
    r"\b(if|unless|would|could|might|should|almost|nearly|pretends?|pretending|fakes?|faked|"
    r"feigns?|plays dead|as if|as though|looks dead|seems|left for dead|presumed|thought|"
    r"believed|rumou?red|about to|going to|threatens?|wants?|wishes|imagines?|pictures|"
    r"foresees?|foretells?|predicts?|envisions?|dreams?|vision|story|stories|tells|told|legend|"
    r"tale|if not|or else|otherwise)\b|假装|如果|差点|险些|梦",
    re.I,
)

NOUN_PHRASE = re.compile(
    r"\b(?:the|his|her|their|its|my|your|a|an)\s+((?:[a-z][\w-]*\s+)?[a-z][\w-]*)", re.I
)
NOT_THINGS = set(
    re.findall(
        r"\S+",
        """river sea lake ocean floor ground room street road air sky water fire window door
        wall bank bridge edge corner hall house office way time moment hand hands arm arms face
        head eyes eye feet foot fingers finger lips mouth back side chest shoulder breath heart
        voice gaze throat palm pocket table desk bed chair direction distance crowd man woman
        girl boy guard people servant others other moment night day world end top bottom middle
        front sound silence tears""",
    )
)
THING_STOP = re.compile(
    r"^(as|and|or|but|then|while|when|to|into|onto|from|with|of|in|on|at|off|up|down|out|"
    r"over|back|away|before|after|again|too|is|are|was|were|it|that|this)$",
    re.I,
)


@dataclass
class Scene:
    """Who and what a scene has mentioned so far, most recent last."""

    people: list[str] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)  # who lies in a hospital bed
    things: list[list[str]] = field(default_factory=list)  # per sentence, left to right

    def saw(self, names: list[str]) -> None:
        for name in names:
            if name in self.people:
                self.people.remove(name)
            self.people.append(name)


class Reader:
    """Pronoun reference and deaths over one screenplay's action."""

    def __init__(self, names: Names, genders: dict[str, str]) -> None:
        self.names, self.genders = names, genders

    @staticmethod
    def learn_genders(names: Names, sentences: list[str]) -> dict[str, str]:
        """Each character's gender from titles in the name and the pronouns that follow it."""
        votes: dict[str, Counter[str]] = {n: Counter() for n in names.cast}
        for name in names.cast:
            for gender, title in TITLES.items():
                if title.search(name):
                    votes[name][gender] += 5
        previous: list[Mention] = []
        for sentence in sentences:
            mentions = names.find(sentence)
            alone = {m.name for m in mentions}
            if len(alone) == 1:  # "Mei straightens herself", "Hao, his hands shaking, ..."
                who = mentions[0].name
                votes[who][MALE] += len(SELF_HE.findall(sentence))
                votes[who][FEMALE] += len(SELF_SHE.findall(sentence))
            subject = SUBJECT.match(sentence)
            if subject and not mentions and len({m.name for m in previous}) == 1:
                # "Mei stands. She waits.": the next sentence's subject is the one named before
                votes[previous[0].name][MALE if HE.fullmatch(subject.group(1)) else FEMALE] += 1
            previous = mentions
        return {
            n: (MALE if v[MALE] > v[FEMALE] else FEMALE)
            for n, v in votes.items()
            if v[MALE] != v[FEMALE]
        }

    def person(self, scene: Scene, pronoun: str) -> str | None:
        """The character a personal pronoun refers to: the most recent of its gender."""
        want = MALE if HE.fullmatch(pronoun) else FEMALE if SHE.fullmatch(pronoun) else None
        for name in reversed(scene.people):
            if want is None or self.genders.get(name, want) == want:
                return name
        return None

    def thing(self, scene: Scene, before: str) -> str | None:
        """What "it" refers to: the first thing handled in `before`, else in earlier sentences."""
        for phrase in [things(before), *reversed(scene.things[-3:])]:
            if phrase:
                return phrase[0]
        return None

    def deaths(self, scene: Scene, sentence: str, mentions: list[Mention]) -> list[str]:
        """Who the sentence says or shows has died (none when hypothetical or told)."""
        if NOT_DEATH.search(sentence):
            return []
        dead: list[str] = []
        said = DIES.search(sentence)
        if said:
            subject = [m for m in mentions if not m.possessive and near(sentence, m.end, said)]
            if subject:
                dead.append(subject[-1].name)
            else:
                who = self._pronoun_before(scene, sentence, said)
                dead += [who] if who else []
        for m in mentions:
            if KILLS.search(sentence[: m.start]) or (
                not m.possessive and TO_DEATH.match(sentence[m.end :])
            ):
                dead.append(m.name)
        for found in re.finditer(rf"\b{PRONOUN}\b(?=\s+(?:to death|dead)\b)", sentence, re.I):
            if who := self.person(scene, found.group()):
                dead.append(who)
        for found in re.finditer(rf"\b(?:{KILL_VERB})\s+({PRONOUN})\b", sentence, re.I):
            if who := self.person(scene, found.group(1)):
                dead.append(who)
        dead += self._shown(scene, sentence, mentions)
        return list(dict.fromkeys(dead))

    def _pronoun_before(self, scene: Scene, sentence: str, said: re.Match[str]) -> str | None:
        subjects = list(
            re.finditer(
                r"\b(he|she)\b|(他|她)|\b(?:the|his|her)\s+(?:lifeless\s+)?(?:body|corpse)\b",
                sentence[: said.start()],
                re.I,
            )
        )
        if not subjects or not near(sentence, subjects[-1].end(), said):
            return None
        pronoun = subjects[-1].group(1) or subjects[-1].group(2)
        if pronoun:
            return self.person(scene, pronoun)
        return scene.people[-1] if scene.people else None

    def _shown(self, scene: Scene, sentence: str, mentions: list[Mention]) -> list[str]:
        signs = [*SHOWN.finditer(sentence), *DRAPED.finditer(sentence)]
        for shown in signs:
            owners = [
                m.name
                for m in mentions
                if (
                    m.possessive
                    and re.fullmatch(
                        r"(?:'s|\u2019s|的)\s*(?:[\w-]+\s+){0,2}", sentence[m.end : shown.start()]
                    )
                )
                or re.match(r"\s+(?:lies|rests)\s+in\s+(?:the|a|an|her|his)\b", sentence[m.end :])
                or re.search(r"\bof\s+(?:the\s+late\s+)?$", sentence[: m.start])
            ]
            if owners:
                return owners[:1]
        if signs:
            mine = re.search(
                r"\b(his|her)\s+(?:\w+\s+){0,2}(?:funeral|coffin|casket|wake|urn|portrait|"
                r"photo\w*|picture|headstone|tombstone|grave|body|corpse)",
                sentence,
                re.I,
            )
            if mine and (who := self.person(scene, mine.group(1))):
                return [who]
        covered = re.search(r"\b(?:sheet|shroud|white cloth)\s+over\s+", sentence, re.I)
        if covered:  # the sheet pulled over a face
            faces = [
                m.name
                for m in mentions
                if m.possessive and m.start >= covered.end() and "face" in sentence[m.end :][:12]
            ]
            if faces:
                return faces[:1]
        if owned := OWNED_BODY.search(sentence):
            owners = [m.name for m in mentions if m.possessive and m.end <= owned.start() + 1]
            if owners:
                return owners[-1:]
        flatline, body = FLATLINE.search(sentence), BODY.search(sentence)
        if flatline or body:
            named = [m.name for m in mentions]
            if named:
                return named[-1:]
            pronoun = re.search(r"\b(his|her)\b|他|她", sentence, re.I)
            who = self.person(scene, pronoun.group()) if pronoun else None
            if who is None and flatline:  # the monitor is the patient's
                who = scene.patients[-1] if scene.patients else None
            elif who is None:
                who = scene.people[-1] if scene.people else None
            return [who] if who else []
        return []


CLAUSE = re.compile(
    r"\b(as|while|when|watches|watching|sees|because|after|until|that|who|whom|which)\b", re.I
)


def near(sentence: str, end: int, said: re.Match[str]) -> bool:
    """Whether the subject ending at `end` is the one that `said` (a death) is said of."""
    between = re.sub(r",[^,]*,", " ", sentence[end : said.start()])
    if re.search(r"[\u4e00-\u9fff]", said.group()):
        return len(between) <= 12
    return len(between.split()) <= 7 and not CLAUSE.search(between)


def things(text: str) -> list[str]:
    """The things named in `text`, left to right ("the jade pendant", "her ring")."""
    found = []
    for m in NOUN_PHRASE.finditer(text):
        words = m.group(1).casefold().split()
        if len(words) > 1 and THING_STOP.match(words[1]):
            words = words[:1]
        if THING_STOP.match(words[-1]) or words[-1] in NOT_THINGS:
            continue
        found.append(" ".join(words))
    return found


ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}  # fmt: skip


def zh_number(text: str) -> int | None:
    """A Chinese numeral under a hundred ("二十六" -> 26), or None."""
    if not text or any(c not in ZH_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return ZH_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (ZH_DIGITS[tens] if tens else 1) * 10 + (ZH_DIGITS[ones] if ones else 0)
