"""Tests for the generated English→French phrasebook corpus."""

from __future__ import annotations

import errno
import os
import random
import re
import stat
from collections import Counter
from pathlib import Path

import pytest

from rnnviz.core.data import phrasebook as pb
from rnnviz.core.data import phrasebook_grammar as grammar
from rnnviz.core.data.phrasebook import Clause, NounPhrase
from rnnviz.core.resources import resource_path

NOUN = {n.en: n for n in pb.NOUNS}
ADJ = {a.en: a for a in pb.ADJECTIVES}
VERB = {v.en: v for v in pb.VERBS}
PRON = {p.en: p for p in pb.PRONOUNS}


def np(noun: str, det: str = "the", plural: bool = False, adj: str | None = None) -> NounPhrase:
    return NounPhrase(NOUN[noun], plural, det, ADJ[adj] if adj else None)


def say(subject: str | NounPhrase, predicate: str, obj: NounPhrase | None = None,
        polarity: str = pb.AFFIRMATIVE) -> tuple[str, str]:
    """Render a clause; ``predicate`` names a verb, or an adjective for "X is ADJ"."""
    subj = PRON[subject] if isinstance(subject, str) else subject
    pred = VERB[predicate] if predicate in VERB else ADJ[predicate]
    return pb.render(Clause(subj, pred, obj, polarity))


@pytest.fixture(scope="module")
def default_pairs() -> list[tuple[str, str]]:
    return pb.generate_pairs()


# --- Generation contract ----------------------------------------------------


def test_deterministic_for_a_seed_and_different_between_seeds() -> None:
    assert pb.generate_pairs(500, seed=3) == pb.generate_pairs(500, seed=3)
    assert pb.generate_pairs(500, seed=3) != pb.generate_pairs(500, seed=4)
    # A shorter run is a prefix of a longer one: pairs come in generation order.
    assert pb.generate_pairs(700, seed=3)[:500] == pb.generate_pairs(500, seed=3)


def test_default_count_and_uniqueness(default_pairs: list[tuple[str, str]]) -> None:
    assert len(default_pairs) == pb.DEFAULT_PAIRS == 12_000
    assert len({en for en, _ in default_pairs}) == len(default_pairs)
    assert len(set(default_pairs)) == len(default_pairs)
    assert pb.generate_pairs(0) == []
    assert len(pb.generate_pairs(37, seed=9)) == 37


def test_translation_is_a_function() -> None:
    """Drawing (with repeats) never gives one English sentence two translations."""
    rng = random.Random(1)
    seen: dict[str, str] = {}
    for _ in range(20_000):
        english, french = pb.render(pb.random_clause(rng))
        assert seen.setdefault(english, french) == french, english


def test_too_many_pairs_is_a_value_error() -> None:
    limit = pb.capacity()
    assert limit > 1_000_000  # comfortably more than the 12,000 shipped
    with pytest.raises(ValueError, match=f"at most {limit}"):
        pb.generate_pairs(limit + 1)
    with pytest.raises(ValueError):
        pb.generate_pairs(-1)


def _all_clauses() -> list[Clause]:
    """Every clause of the grammar, spelt out independently of pb.capacity()."""
    def phrases(noun: pb.Noun, verb: pb.Verb | None) -> list[NounPhrase]:
        return [NounPhrase(noun, plural, det, adj)
                for plural in (False, True) for det in pb.determiners(noun, plural, verb)
                for adj in [None, *pb.adjectives_for(noun)]]

    bodies: list[tuple[pb.Subject, pb.Verb | pb.Adjective, NounPhrase | None]] = []
    for pronoun in pb.PRONOUNS:
        bodies += [(pronoun, adj, None) for adj in pb.pronoun_adjectives(pronoun)]
    for noun in pb.NOUNS:
        bodies += [(subj, adj, None) for subj in phrases(noun, None)
                   for adj in pb.adjectives_for(noun)
                   if subj.adjective is None or subj.adjective.kind != adj.kind]
    for verb in pb.VERBS:
        subjects: list[pb.Subject] = list(pb.PRONOUNS)
        subjects += [s for n in pb.nouns_with(verb.subjects) for s in phrases(n, None)]
        objects = [o for n in pb.nouns_with(verb.objects) for o in phrases(n, verb)]
        bodies += [(s, verb, o) for s in subjects for o in objects
                   if not (isinstance(s, NounPhrase) and s.noun == o.noun)]
    return [Clause(s, p, o, pol) for s, p, o in bodies for pol in pb.POLARITY_WEIGHTS]


def test_capacity_is_exact_and_rendering_one_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # A cut-down vocabulary small enough to enumerate, with every kind of word.
    nouns = ("boy", "sister", "cat", "apple", "car")
    adjectives = ("sad", "happy", "tired", "black", "red")  # two of a kind, twice
    # In the grammar's module, where adjectives_for and nouns_with read them, and in the generator's.
    for module in (pb, grammar):
        monkeypatch.setattr(module, "NOUNS", tuple(NOUN[n] for n in nouns))
        monkeypatch.setattr(module, "ADJECTIVES", tuple(ADJ[a] for a in adjectives))
        monkeypatch.setattr(module, "VERBS", tuple(VERB[v] for v in ("have", "like", "eat")))
    clauses = _all_clauses()
    rendered = dict(pb.render(c) for c in clauses)
    assert len(rendered) == len(clauses) == pb.capacity()  # distinct English, exact count
    rng = random.Random(0)
    for _ in range(3_000):  # the sampler stays inside the counted grammar
        assert pb.render_english(pb.random_clause(rng)) in rendered


def test_mix_of_forms(default_pairs: list[tuple[str, str]]) -> None:
    kinds = Counter(
        "question" if en.endswith("?") else "negative" if " not " in en else "affirmative"
        for en, _ in default_pairs
    )
    assert 0.4 < kinds["affirmative"] / len(default_pairs) < 0.6
    assert kinds["negative"] > 2_000 and kinds["question"] > 2_000


def test_vocabulary_size() -> None:
    assert 25 <= len(pb.NOUNS) <= 40
    assert 10 <= len(pb.ADJECTIVES) <= 15
    assert 8 <= len(pb.VERBS) + 1 <= 10  # + être
    assert {n.gender for n in pb.NOUNS} == {"m", "f"}
    assert any(pb.french_vowel_initial(n.fr) for n in pb.NOUNS if n.gender == "f")


# --- Grammar a French teacher would check --------------------------------------


def test_conjugation() -> None:
    persons = pb.PERSONS
    assert [pb.conjugate("être", p) for p in persons] == ["suis", "es", "est", "sommes", "sont"]
    assert [pb.conjugate("avoir", p) for p in persons] == ["ai", "as", "a", "avons", "ont"]
    assert [pb.conjugate("manger", p) for p in persons] == [
        "mange", "manges", "mange", "mangeons", "mangent"]
    assert pb.conjugate("regarder", "1pl") == "regardons"
    assert pb.english_third_person("watch") == "watches"
    assert pb.english_third_person("wash") == "washes"
    assert pb.english_third_person("carry") == "carries"
    assert pb.english_third_person("look for") == "looks for"
    assert pb.english_third_person("have") == "has"
    assert pb.english_third_person("do") == "does"
    assert say("we", "eat", np("apple", "", plural=True)) == (
        "We eat apples.", "Nous mangeons des pommes.")
    assert say("they", "have", np("cat", "a")) == ("They have a cat.", "Ils ont un chat.")
    assert say("she", "watch", np("bird", plural=True)) == (
        "She watches the birds.", "Elle regarde les oiseaux.")


def test_elision() -> None:
    assert say("I", "like", np("bird")) == ("I like the bird.", "J'aime l'oiseau.")
    assert say("I", "have", np("orange", "a")) == ("I have an orange.", "J'ai une orange.")
    assert say("I", "listen to", np("radio")) == ("I listen to the radio.", "J'écoute la radio.")
    assert say(np("man"), "rich") == ("The man is rich.", "L'homme est riche.")
    assert say("he", "like", np("cat", plural=True), pb.NEGATIVE) == (
        "He does not like the cats.", "Il n'aime pas les chats.")
    assert say("I", "eat", np("orange", "a"), pb.NEGATIVE) == (
        "I do not eat an orange.", "Je ne mange pas d'orange.")
    assert say("she", "have", np("dog", "a"), pb.QUESTION) == (
        "Does she have a dog?", "Est-ce qu'elle a un chien ?")
    # ma/ta/sa become mon/ton/son before a vowel: mon orange, son assiette.
    assert say("I", "eat", np("orange", "my")) == ("I eat my orange.", "Je mange mon orange.")
    assert say("he", "wash", np("plate", "her"))[1] == "Il lave son assiette."


def test_negation() -> None:
    assert say("he", "eat", np("apple"), pb.NEGATIVE) == (
        "He does not eat the apple.", "Il ne mange pas la pomme.")
    assert say("she", "have", np("car", "a"), pb.NEGATIVE) == (
        "She does not have a car.", "Elle n'a pas de voiture.")
    assert say("we", "have", np("egg", "a", plural=True), pb.NEGATIVE) == (
        "We do not have any eggs.", "Nous n'avons pas d'œufs.")
    assert say("I", "sad", polarity=pb.NEGATIVE) == ("I am not sad.", "Je ne suis pas triste.")
    assert say(np("cat"), "black", polarity=pb.NEGATIVE) == (
        "The cat is not black.", "Le chat n'est pas noir.")
    # aimer keeps its definite article: "les" is generic, not an indefinite.
    assert say("I", "like", np("dog", "", plural=True), pb.NEGATIVE) == (
        "I do not like dogs.", "Je n'aime pas les chiens.")


def test_questions() -> None:
    assert say(np("car"), "red", polarity=pb.QUESTION) == (
        "Is the car red?", "Est-ce que la voiture est rouge ?")
    assert say("you", "eat", np("apple", "", plural=True), pb.QUESTION) == (
        "Do you eat apples?", "Est-ce que tu manges des pommes ?")
    assert say("you", "like", np("dog", plural=True), pb.QUESTION) == (
        "Do you like the dogs?", "Est-ce que tu aimes les chiens ?")
    assert say("I", "sick", polarity=pb.QUESTION) == ("Am I sick?", "Est-ce que je suis malade ?")
    assert say("they", "carry", np("bag", "a", plural=True), pb.QUESTION) == (
        "Do they carry any bags?", "Est-ce qu'ils portent des sacs ?")


def test_adjectives_follow_the_noun_and_agree() -> None:
    assert say("I", "have", np("car", "a", adj="red")) == (
        "I have a red car.", "J'ai une voiture rouge.")
    assert say("he", "have", np("car", "a", adj="expensive")) == (
        "He has an expensive car.", "Il a une voiture chère.")
    assert say("she", "wash", np("shirt", "my", True, "white"))[1] == (
        "Elle lave mes chemises blanches.")
    assert say(np("girl", plural=True), "happy") == (
        "The girls are happy.", "Les filles sont heureuses.")
    assert say("she", "tired") == ("She is tired.", "Elle est fatiguée.")
    assert say("they", "tired") == ("They are tired.", "Ils sont fatigués.")
    assert say(np("sister", "your", adj="sad"), "rich") == (
        "Your sad sister is rich.", "Ta sœur triste est riche.")
    assert say("we", "eat", np("strawberry", "a", True, "ripe")) == (
        "We eat some ripe strawberries.", "Nous mangeons des fraises mûres.")


def test_gender_hidden_by_english_only_takes_invariant_adjectives() -> None:
    for name in ("I", "you", "we"):
        adjectives = pb.pronoun_adjectives(PRON[name])
        assert adjectives and all(a.invariant for a in adjectives)
    with pytest.raises(ValueError):
        say("I", "tired")  # fatigué or fatiguée: English does not say


def test_plurals_and_possessives() -> None:
    assert say(np("horse", plural=True), "black")[1] == "Les chevaux sont noirs."
    assert say("he", "find", np("newspaper", "his", True))[1] == "Il trouve ses journaux."
    assert say(np("mouse", plural=True), "white") == (
        "The mice are white.", "Les souris sont blanches.")
    assert say("I", "look for", np("sister", "my"))[1] == "Je cherche ma sœur."
    assert say("you", "carry", np("key", "your", True))[1] == "Tu portes tes clés."
    assert say("she", "carry", np("hat", "her")) == (
        "She carries her hat.", "Elle porte son chapeau.")
    # Only family nouns take possessives ("my girl" would read "ma fille", my daughter).
    assert not set(pb.determiners(NOUN["girl"], False)) & set(pb.POSSESSIVES)


# --- Every sentence ---------------------------------------------------------

_FRENCH_MISTAKES = {
    "no elision": re.compile(r"\b(je|le|la|ne|de|que|ma|ta|sa) [aeiouàâéèêîôûœh]", re.I),
    "de + definite": re.compile(r"\bde (le|la|les|l')\b", re.I),
    "indefinite after negation": re.compile(r"\bpas (un|une|des) "),
    "double space": re.compile(r"  "),
    "space before a full stop": re.compile(r" \.$"),
    "? without a space": re.compile(r"\S\?$"),
}


def test_every_sentence_is_well_formed(default_pairs: list[tuple[str, str]]) -> None:
    for english, french in default_pairs:
        for problem, pattern in _FRENCH_MISTAKES.items():
            assert not pattern.search(french), f"{problem}: {french}"
        assert french[0].isupper() and english[0].isupper(), (english, french)
        assert re.fullmatch(r"[^?.]+( \?|\.)", french), french
        assert re.fullmatch(r"[^?.]+[?.]", english), english
        assert english.endswith("?") == french.endswith(" ?"), (english, french)
        assert 3 <= len(english.split()) <= 10, english
        assert french.count("pas") == len(re.findall(r"\b(ne |n')", french)), french
        assert not re.search(r"\ba [aeiou]|\ban [^aeiou]", english), english


def test_to_tsv() -> None:
    assert pb.to_tsv([("The cat is black.", "Le chat est noir.")]) == (
        "The cat is black.\tLe chat est noir.\n")
    with pytest.raises(ValueError):
        pb.to_tsv([("a\tb", "c")])


def test_main_writes_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "pairs.tsv"
    old = os.umask(0o022)
    try:
        assert pb.main(["--out", str(out), "--pairs", "50", "--seed", "2"]) == 0
    finally:
        os.umask(old)
    assert out.read_bytes() == pb.to_tsv(pb.generate_pairs(50, 2)).encode("utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # an ordinary, shippable file
    assert "50 pairs" in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == ["pairs.tsv"]  # no temp file left
    assert pb.main(["--out", str(out), "--pairs", str(pb.capacity() + 1)]) == 2


def test_main_on_a_full_disk_keeps_the_old_file_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pairs.tsv"
    out.write_text("the old corpus\n", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert pb.main(["--out", str(out), "--pairs", "20"]) == 1
    err = capsys.readouterr().err
    assert f"error: could not save the phrasebook corpus to {out}: the disk is full" in err
    assert "Traceback" not in err
    assert out.read_text(encoding="utf-8") == "the old corpus\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.tsv"]


def test_shipped_file_is_up_to_date(default_pairs: list[tuple[str, str]]) -> None:
    path = resource_path("corpora", "phrasebook.tsv")
    assert path.is_file(), "missing; run `python -m rnnviz.core.data.phrasebook` to generate it"
    assert path.read_bytes() == pb.to_tsv(default_pairs).encode("utf-8"), (
        f"{path} is out of date with the grammar; "
        "run `python -m rnnviz.core.data.phrasebook` to regenerate it"
    )
