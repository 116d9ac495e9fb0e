"""The phrasebook's grammar: its words (nouns, adjectives, verbs, pronouns), their forms in both
languages, and which combinations it allows (see :mod:`rnnviz.core.data.phrasebook`).

The tables are small on purpose: the generator draws from them, and
``phrasebook.capacity`` counts the distinct sentences they allow exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

# Persons used in conjugation tables; "vous" is left out so "you" stays "tu".
PERSONS = ("1sg", "2sg", "3sg", "1pl", "3pl")
AFFIRMATIVE, NEGATIVE, QUESTION = "affirmative", "negative", "question"


# --- Vocabulary -------------------------------------------------------------


@dataclass(frozen=True)
class Noun:
    en: str
    en_plural: str
    fr: str
    fr_plural: str
    gender: str  # "m" or "f"
    tags: frozenset[str]  # what it is, to pair it with sensible verbs/adjectives


@dataclass(frozen=True)
class Adjective:
    en: str
    forms: tuple[str, str, str, str]  # masc. sg, fem. sg, masc. pl, fem. pl
    tags: frozenset[str]  # nouns it may describe
    kind: str  # two of a kind clash: "The white book is red."

    @property
    def invariant(self) -> bool:
        """Same form for both genders: safe for I/you/we, whose gender English hides."""
        return self.forms[0] == self.forms[1] and self.forms[2] == self.forms[3]

    def agree(self, gender: str | None, plural: bool) -> str:
        return self.forms[2 * plural + (gender == "f")]


@dataclass(frozen=True)
class Verb:
    en: str  # base form, possibly with a particle: "look for"
    fr: str  # infinitive
    subjects: frozenset[str]  # noun tags allowed as subject (pronouns always are)
    objects: frozenset[str]  # noun tags allowed as direct object
    weight: int = 1  # how often the sampler picks it
    generic_definite: bool = False  # "I like apples" → "J'aime les pommes", not "des"


@dataclass(frozen=True)
class Pronoun:
    en: str
    fr: str
    person: str
    gender: str | None  # None: English does not tell (I, you, we)


def _tags(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _noun(en: str, en_pl: str, fr: str, fr_pl: str, gender: str, tags: str) -> Noun:
    return Noun(en, en_pl, fr, fr_pl, gender, _tags(tags))


NOUNS: tuple[Noun, ...] = (
    # people; only "kin" take my/your/his/her ("my girl" would read "ma fille", my daughter)
    _noun("boy", "boys", "garçon", "garçons", "m", "person"),
    _noun("girl", "girls", "fille", "filles", "f", "person"),
    _noun("man", "men", "homme", "hommes", "m", "person"),
    _noun("woman", "women", "femme", "femmes", "f", "person"),
    _noun("brother", "brothers", "frère", "frères", "m", "person kin"),
    _noun("sister", "sisters", "sœur", "sœurs", "f", "person kin"),
    _noun("uncle", "uncles", "oncle", "oncles", "m", "person kin"),
    _noun("aunt", "aunts", "tante", "tantes", "f", "person kin"),
    # animals
    _noun("cat", "cats", "chat", "chats", "m", "animal pet"),
    _noun("dog", "dogs", "chien", "chiens", "m", "animal pet"),
    _noun("horse", "horses", "cheval", "chevaux", "m", "animal pet"),
    _noun("bird", "birds", "oiseau", "oiseaux", "m", "animal"),
    _noun("cow", "cows", "vache", "vaches", "f", "animal"),
    _noun("mouse", "mice", "souris", "souris", "f", "animal"),
    _noun("elephant", "elephants", "éléphant", "éléphants", "m", "animal"),
    _noun("bee", "bees", "abeille", "abeilles", "f", "animal"),
    # food
    _noun("apple", "apples", "pomme", "pommes", "f", "food fruit"),
    _noun("orange", "oranges", "orange", "oranges", "f", "food fruit"),
    _noun("banana", "bananas", "banane", "bananes", "f", "food fruit"),
    _noun("strawberry", "strawberries", "fraise", "fraises", "f", "food fruit"),
    _noun("apricot", "apricots", "abricot", "abricots", "m", "food fruit"),
    _noun("tomato", "tomatoes", "tomate", "tomates", "f", "food fruit"),
    _noun("cake", "cakes", "gâteau", "gâteaux", "m", "food"),
    _noun("egg", "eggs", "œuf", "œufs", "m", "food"),
    _noun("sandwich", "sandwiches", "sandwich", "sandwichs", "m", "food"),
    # things ("small": can be carried, "washable": can be washed)
    _noun("car", "cars", "voiture", "voitures", "f", "thing washable"),
    _noun("bicycle", "bicycles", "vélo", "vélos", "m", "thing washable"),
    _noun("book", "books", "livre", "livres", "m", "thing small"),
    _noun("hat", "hats", "chapeau", "chapeaux", "m", "thing small washable"),
    _noun("shirt", "shirts", "chemise", "chemises", "f", "thing small washable"),
    _noun("bag", "bags", "sac", "sacs", "m", "thing small washable"),
    _noun("umbrella", "umbrellas", "parapluie", "parapluies", "m", "thing small"),
    _noun("box", "boxes", "boîte", "boîtes", "f", "thing small"),
    _noun("key", "keys", "clé", "clés", "f", "thing small"),
    _noun("ball", "balls", "ballon", "ballons", "m", "thing small washable"),
    _noun("newspaper", "newspapers", "journal", "journaux", "m", "thing small"),
    _noun("radio", "radios", "radio", "radios", "f", "thing small sound"),
    _noun("plate", "plates", "assiette", "assiettes", "f", "thing small washable"),
)


def _adj(en: str, ms: str, fs: str, mp: str, fp: str, tags: str, kind: str = "") -> Adjective:
    return Adjective(en, (ms, fs, mp, fp), _tags(tags), kind or en)


# Only adjectives that French places after the noun.
ADJECTIVES: tuple[Adjective, ...] = (
    _adj("black", "noir", "noire", "noirs", "noires", "animal thing", "colour"),
    _adj("white", "blanc", "blanche", "blancs", "blanches", "animal thing", "colour"),
    _adj("red", "rouge", "rouge", "rouges", "rouges", "thing", "colour"),
    _adj("green", "vert", "verte", "verts", "vertes", "thing", "colour"),
    _adj("expensive", "cher", "chère", "chers", "chères", "thing"),
    _adj("heavy", "lourd", "lourde", "lourds", "lourdes", "thing"),
    _adj("dirty", "sale", "sale", "sales", "sales", "thing animal"),
    _adj("delicious", "délicieux", "délicieuse", "délicieux", "délicieuses", "food"),
    _adj("ripe", "mûr", "mûre", "mûrs", "mûres", "fruit"),
    _adj("happy", "heureux", "heureuse", "heureux", "heureuses", "person animal", "mood"),
    _adj("tired", "fatigué", "fatiguée", "fatigués", "fatiguées", "person animal"),
    _adj("sad", "triste", "triste", "tristes", "tristes", "person animal", "mood"),
    _adj("sick", "malade", "malade", "malades", "malades", "person animal"),
    _adj("calm", "calme", "calme", "calmes", "calmes", "person animal"),
    _adj("rich", "riche", "riche", "riches", "riches", "person"),
)

_AGENTS = _tags("person animal")
VERBS: tuple[Verb, ...] = (
    Verb("have", "avoir", _tags("person"), _tags("animal food thing"), weight=2),
    Verb("like", "aimer", _AGENTS, _tags("animal food thing"), generic_definite=True),
    Verb("eat", "manger", _AGENTS, _tags("food")),
    Verb("watch", "regarder", _AGENTS, _tags("person animal")),
    Verb("look for", "chercher", _AGENTS, _tags("person animal thing")),
    Verb("find", "trouver", _AGENTS, _tags("animal thing")),
    Verb("carry", "porter", _tags("person"), _tags("small food")),
    Verb("wash", "laver", _tags("person"), _tags("washable pet fruit")),
    Verb("listen to", "écouter", _AGENTS, _tags("person animal sound")),
)
BE_WEIGHT = 3  # "X is ADJ" clauses, relative to Verb.weight

PRONOUNS: tuple[Pronoun, ...] = (
    Pronoun("I", "je", "1sg", None),
    Pronoun("you", "tu", "2sg", None),
    Pronoun("he", "il", "3sg", "m"),
    Pronoun("she", "elle", "3sg", "f"),
    Pronoun("we", "nous", "1pl", None),
    Pronoun("they", "ils", "3pl", "m"),  # "ils" is masculine, so adjectives agree in masc.
)

# Determiners by their English word; "a" is a/an in the singular, some/any in
# the plural; "" is a bare plural ("I eat apples").
THE, A, BARE = "the", "a", ""
POSSESSIVES: dict[str, tuple[str, str, str]] = {  # masc. sg, fem. sg, plural
    "my": ("mon", "ma", "mes"),
    "your": ("ton", "ta", "tes"),
    "his": ("son", "sa", "ses"),  # French agrees with the thing owned, not the owner
    "her": ("son", "sa", "ses"),
}
SUBJECT_DETERMINERS = (THE, *POSSESSIVES)
# Sampling weights, so "the" and "a" are commoner than the four possessives.
DETERMINER_WEIGHTS = {THE: 4, A: 3, BARE: 2, "my": 1, "your": 1, "his": 1, "her": 1}
POLARITY_WEIGHTS = {AFFIRMATIVE: 2, NEGATIVE: 1, QUESTION: 1}
PRONOUN_SHARE = 0.45  # chance that a subject is a pronoun
ADJECTIVE_SHARE = 0.25  # chance that a noun phrase carries an adjective


@dataclass(frozen=True)
class NounPhrase:
    noun: Noun
    plural: bool = False
    det: str = THE
    adjective: Adjective | None = None


Subject = Pronoun | NounPhrase


@dataclass(frozen=True)
class Clause:
    """One sentence before rendering.

    With an :class:`Adjective` predicate it reads "subject is ADJ" and ``obj``
    is None; with a :class:`Verb` it reads "subject verb obj".
    """

    subject: Subject
    predicate: Verb | Adjective
    obj: NounPhrase | None = None
    polarity: str = AFFIRMATIVE


# --- Option sets (shared by the sampler and by capacity) ---------------------


def adjectives_for(noun: Noun) -> list[Adjective]:
    return [a for a in ADJECTIVES if a.tags & noun.tags]


def pronoun_adjectives(pronoun: Pronoun) -> list[Adjective]:
    # Unknown gender would make "I am tired" fatigué or fatiguée: keep it a function.
    known = pronoun.gender is not None
    return [a for a in ADJECTIVES if "person" in a.tags and (known or a.invariant)]


def nouns_with(tags: frozenset[str]) -> list[Noun]:
    return [n for n in NOUNS if n.tags & tags]


def determiners(noun: Noun, plural: bool, verb: Verb | None = None) -> list[str]:
    """Determiners for a subject (``verb`` None) or for the object of ``verb``."""
    if verb is None:
        dets = list(SUBJECT_DETERMINERS)
    else:
        dets = [THE, A, *POSSESSIVES] + ([BARE] if plural else [])
        if verb.generic_definite:  # "J'aime un chat" is odd French; aimer takes definites
            dets.remove(A)
    if "person" in noun.tags and "kin" not in noun.tags:
        dets = [d for d in dets if d not in POSSESSIVES]
    return dets


def noun_variants(noun: Noun, verb: Verb | None = None) -> int:
    """Number × determiner choices for a noun phrase built on ``noun``."""
    return sum(len(determiners(noun, plural, verb)) for plural in (False, True))
