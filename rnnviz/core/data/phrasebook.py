"""A built-in, offline English→French phrasebook generated from a small grammar.

The corpus is meant for the seq2seq chapters: short sentences whose French
needs real reordering (adjectives after the noun, ``ne … pas`` around the verb,
``est-ce que`` questions) and agreement (articles, possessives, adjectives and
verb endings), so a model cannot succeed by copying word for word.

Every English sentence has exactly one French translation: "you" is always
``tu``, "they" always ``ils``, and I/you/we only take adjectives whose French
form does not depend on gender. The grammar is a product of small tables, so
:func:`capacity` can count the distinct sentences exactly.

Regenerate the shipped file with ``python -m rnnviz.core.data.phrasebook``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from rnnviz.core.atomic import write_atomically
from rnnviz.core.data.phrasebook_grammar import (  # the grammar's names stay importable from here
    A,
    Adjective,
    ADJECTIVE_SHARE,
    ADJECTIVES,
    adjectives_for,
    AFFIRMATIVE,
    BARE,
    BE_WEIGHT,
    Clause,
    DETERMINER_WEIGHTS,
    determiners,
    NEGATIVE,
    Noun,
    noun_variants,
    NounPhrase,
    NOUNS,
    nouns_with,
    PERSONS,
    POLARITY_WEIGHTS,
    POSSESSIVES,
    Pronoun,
    pronoun_adjectives,
    PRONOUN_SHARE,
    PRONOUNS,
    QUESTION,
    Subject,
    SUBJECT_DETERMINERS,
    THE,
    Verb,
    VERBS,
)
from rnnviz.core.errors import DataError
from rnnviz.core.resources import resource_path

DEFAULT_SEED: int = 0
DEFAULT_PAIRS: int = 12_000

# --- Rendering --------------------------------------------------------------

_FR_VOWELS = "aeiouàâäéèêëîïôöûùüœæ"  # not y: le yaourt
_MUTE_H = ("homme",)  # h that elides like a vowel: l'homme


def french_vowel_initial(word: str) -> bool:
    return word[:1].lower() in _FR_VOWELS or word.lower().startswith(_MUTE_H)


ETRE = dict(zip(PERSONS, ("suis", "es", "est", "sommes", "sont")))
AVOIR = dict(zip(PERSONS, ("ai", "as", "a", "avons", "ont")))
_ER_ENDINGS = dict(zip(PERSONS, ("e", "es", "e", "ons", "ent")))


def conjugate(infinitive: str, person: str) -> str:
    """Present tense of être, avoir or a regular -er verb."""
    if infinitive == "être":
        return ETRE[person]
    if infinitive == "avoir":
        return AVOIR[person]
    if not infinitive.endswith("er"):
        raise ValueError(f"not a regular -er verb: {infinitive!r}")
    stem, ending = infinitive[:-2], _ER_ENDINGS[person]
    if ending.startswith("o"):  # keep the soft g/c sound: mangeons, commençons
        if stem.endswith("g"):
            stem += "e"
        elif stem.endswith("c"):
            stem = stem[:-1] + "ç"
    return stem + ending


def english_third_person(base: str) -> str:
    """'watch' → 'watches', 'carry' → 'carries', 'look for' → 'looks for'."""
    verb, _, rest = base.partition(" ")
    if verb == "have":
        verb = "has"
    elif verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        verb += "es"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb} {rest}".strip()


def english_present(base: str, person: str) -> str:
    if base == "be":
        return {"1sg": "am", "3sg": "is"}.get(person, "are")
    return english_third_person(base) if person == "3sg" else base


def person_of(subject: Subject) -> str:
    if isinstance(subject, Pronoun):
        return subject.person
    return "3pl" if subject.plural else "3sg"


def english_noun_phrase(np: NounPhrase, polarity: str = AFFIRMATIVE) -> list[str]:
    det = np.det
    if det == A and np.plural:
        det = "some" if polarity == AFFIRMATIVE else "any"
    words = [det] if det else []
    if np.adjective:
        words.append(np.adjective.en)
    words.append(np.noun.en_plural if np.plural else np.noun.en)
    return words


def french_noun_phrase(
    np: NounPhrase, negated: bool = False, generic_definite: bool = False
) -> list[str]:
    """Article, noun, then adjective; ``generic_definite``: a bare plural reads "les"."""
    noun, feminine = np.noun, np.noun.gender == "f"
    if np.det == THE or (np.det == BARE and generic_definite):
        article = "les" if np.plural else ("la" if feminine else "le")
    elif np.det in POSSESSIVES:
        article = POSSESSIVES[np.det][2 if np.plural else int(feminine)]
    elif negated:  # "pas de voiture": the indefinite/partitive becomes de after a negation
        article = "de"
    else:
        article = "des" if np.plural else ("une" if feminine else "un")
    words = [article, noun.fr_plural if np.plural else noun.fr]
    if np.adjective:  # after the noun, agreeing with it
        words.append(np.adjective.agree(noun.gender, np.plural))
    return words


_ELIDED = {"je", "le", "la", "ne", "de", "que"}
_BEFORE_VOWEL = {"ma": "mon", "ta": "ton", "sa": "son"}  # mon orange, ton assiette


def join_french(words: list[str]) -> str:
    """Join words, applying elision (j'ai, l'oiseau, n'a, qu'elle, d'orange)."""
    text = ""
    for word, following in zip(words, [*words[1:], ""]):
        if following and french_vowel_initial(following):
            word = _BEFORE_VOWEL.get(word, word)
            if word in _ELIDED:
                text += word[:-1] + "'"
                continue
        text += word + " "
    return text.rstrip()


def join_english(words: list[str]) -> str:
    """Join words, choosing a/an by the next word (our vocabulary has no "an hour")."""
    following = [*words[1:], ""]
    vowel = ("a", "e", "i", "o", "u")
    return " ".join("an" if w == "a" and n[:1] in vowel else w for w, n in zip(words, following))


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(clause: Clause) -> tuple[str, str]:
    """The (English, French) sentence pair for a clause."""
    return render_english(clause), render_french(clause)


def render_english(clause: Clause) -> str:
    subject = clause.subject
    person, polarity = person_of(subject), clause.polarity
    subj = [subject.en] if isinstance(subject, Pronoun) else english_noun_phrase(subject)
    pred = clause.predicate
    if isinstance(pred, Adjective):
        be = english_present("be", person)
        words = {
            AFFIRMATIVE: [*subj, be, pred.en],
            NEGATIVE: [*subj, be, "not", pred.en],
            QUESTION: [be, *subj, pred.en],
        }[polarity]
    else:
        if clause.obj is None:
            raise ValueError(f"{pred.en!r} needs an object")
        obj = english_noun_phrase(clause.obj, polarity)
        do = english_present("do", person)  # do-support for negations and questions
        words = {
            AFFIRMATIVE: [*subj, english_present(pred.en, person), *obj],
            NEGATIVE: [*subj, do, "not", pred.en, *obj],
            QUESTION: [do, *subj, pred.en, *obj],
        }[polarity]
    return _capitalize(join_english(words)) + ("?" if polarity == QUESTION else ".")


def render_french(clause: Clause) -> str:
    subject, pred, polarity = clause.subject, clause.predicate, clause.polarity
    person = person_of(subject)
    if isinstance(subject, Pronoun):
        subj, gender, plural = [subject.fr], subject.gender, person.endswith("pl")
    else:
        subj, gender, plural = french_noun_phrase(subject), subject.noun.gender, subject.plural
    if isinstance(pred, Adjective):
        if gender is None and not pred.invariant:
            raise ValueError(f"{subject.en!r} hides its gender; {pred.en!r} would need one")
        verb, rest = conjugate("être", person), [pred.agree(gender, plural)]
    else:
        if clause.obj is None:
            raise ValueError(f"{pred.en!r} needs an object")
        verb = conjugate(pred.fr, person)
        rest = french_noun_phrase(clause.obj, polarity == NEGATIVE, pred.generic_definite)
    verb_group = ["ne", verb, "pas"] if polarity == NEGATIVE else [verb]
    words = [*subj, *verb_group, *rest]
    if polarity == QUESTION:
        words = ["est-ce", "que", *words]
    # French typography: a space before ? (and ! ; :), none before a full stop.
    return _capitalize(join_french(words)) + (" ?" if polarity == QUESTION else ".")


# --- Sampling ---------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _noun_phrase(
    rng: random.Random, noun: Noun, verb: Verb | None = None, avoid: str = ""
) -> NounPhrase:
    """A subject (``verb`` None) or object noun phrase; ``avoid``: a kind of adjective."""
    plural = rng.random() < 0.5
    dets = determiners(noun, plural, verb)
    det = rng.choices(dets, weights=[DETERMINER_WEIGHTS[d] for d in dets])[0]
    adjectives = [a for a in adjectives_for(noun) if a.kind != avoid]
    adjective = rng.choice(adjectives) if adjectives and rng.random() < ADJECTIVE_SHARE else None
    return NounPhrase(noun, plural, det, adjective)


def random_clause(rng: random.Random) -> Clause:
    """Draw one clause; every clause counted by :func:`capacity` can come out."""
    polarity = _weighted(rng, POLARITY_WEIGHTS)
    predicates: list[Verb | None] = [None, *VERBS]  # None: "subject is ADJ"
    verb = rng.choices(predicates, weights=[BE_WEIGHT, *(v.weight for v in VERBS)])[0]
    if verb is None:
        speakers = [p for p in PRONOUNS if pronoun_adjectives(p)]
        if rng.random() < PRONOUN_SHARE and speakers:
            pronoun = rng.choice(speakers)
            return Clause(pronoun, rng.choice(pronoun_adjectives(pronoun)), None, polarity)
        noun = rng.choice([n for n in NOUNS if adjectives_for(n)])
        adjective = rng.choice(adjectives_for(noun))
        # "The black cat is white." clashes: the subject's adjective is of another kind.
        return Clause(_noun_phrase(rng, noun, avoid=adjective.kind), adjective, None, polarity)

    subject: Subject
    if rng.random() < PRONOUN_SHARE:
        subject = rng.choice(PRONOUNS)
    else:
        subject = _noun_phrase(rng, rng.choice(nouns_with(verb.subjects)))
    # "The cat watches the cats." is dropped: subject and object nouns differ.
    subject_noun = subject.noun if isinstance(subject, NounPhrase) else None
    noun = rng.choice([n for n in nouns_with(verb.objects) if n != subject_noun])
    obj = _noun_phrase(rng, noun, verb)
    return Clause(subject, verb, obj, polarity)


def capacity() -> int:
    """How many distinct sentence pairs the grammar can produce.

    Rendering is one-to-one on clauses (no two clauses share an English
    sentence), so this counts the clauses :func:`random_clause` can draw.
    """
    # "X is ADJ": the subject takes no adjective or one of another kind than ADJ.
    total = sum(len(pronoun_adjectives(p)) for p in PRONOUNS)
    for noun in NOUNS:
        adjectives = adjectives_for(noun)
        total += noun_variants(noun) * sum(
            1 + sum(a.kind != predicate.kind for a in adjectives) for predicate in adjectives
        )
    for verb in VERBS:
        subj = {n: noun_variants(n) * (1 + len(adjectives_for(n))) for n in nouns_with(verb.subjects)}
        obj = {
            n: noun_variants(n, verb) * (1 + len(adjectives_for(n))) for n in nouns_with(verb.objects)
        }
        pairs = (len(PRONOUNS) + sum(subj.values())) * sum(obj.values())
        total += pairs - sum(count * obj.get(n, 0) for n, count in subj.items())
    return total * len(POLARITY_WEIGHTS)


def generate_pairs(n_pairs: int = DEFAULT_PAIRS, seed: int = DEFAULT_SEED) -> list[tuple[str, str]]:
    """``n_pairs`` unique (English, French) pairs, the same ones for the same seed."""
    if n_pairs < 0:
        raise ValueError(f"n_pairs must be >= 0, got {n_pairs}")
    limit = capacity()
    if n_pairs > limit:
        raise ValueError(
            f"the phrasebook grammar can produce at most {limit} unique pairs, not {n_pairs}"
        )
    rng = random.Random(seed)
    seen: set[str] = set()  # only tested for membership, never iterated
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n_pairs:
        english, french = render(random_clause(rng))
        if english not in seen:
            seen.add(english)
            pairs.append((english, french))
    return pairs


def to_tsv(pairs: list[tuple[str, str]]) -> str:
    """One "English<TAB>French" line per pair, like the Tatoeba files."""
    for pair in pairs:
        if any(ch in text for text in pair for ch in "\t\n"):
            raise ValueError(f"a sentence holds a tab or newline: {pair!r}")
    return "".join(f"{english}\t{french}\n" for english, french in pairs)


def default_path() -> Path:
    return resource_path("corpora", "phrasebook.tsv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.core.data.phrasebook",
        description="Write the built-in English-French phrasebook as a TSV file.",
    )
    parser.add_argument("--out", type=Path, help="output file (default: the shipped corpus)")
    parser.add_argument("--pairs", type=int, default=DEFAULT_PAIRS, help="how many pairs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    out: Path = args.out if args.out is not None else default_path()
    try:
        pairs = generate_pairs(args.pairs, args.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = to_tsv(pairs)
    try:
        # Beside the target, then renamed (a reader never sees half a file); 0644 under umask 022;
        # a missing folder is created, as before.
        write_atomically(out, "w", lambda handle: handle.write(text), "the phrasebook corpus")
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {len(pairs)} pairs to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
