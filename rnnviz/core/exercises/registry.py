"""Every exercise of the chapters rnnviz covers (Dive into Deep Learning 1.0, sections 9.4–10.8), by id.

The paraphrases are ours; each cites its section. An exercise whose capability the
app lacks says so in its ``status`` ("needs: …") and ``meanwhile`` tells the student
what the app offers now; it has no run. The others run headless at a small size
(seconds) or at the book's (``small=False``, minutes).
"""

from __future__ import annotations

from rnnviz.core.errors import ConfigError
from rnnviz.core.exercises import runs_classify as classify
from rnnviz.core.exercises import runs_corpora as corpora
from rnnviz.core.exercises import runs_lm as lm
from rnnviz.core.exercises import runs_mt as mt
from rnnviz.core.exercises import runs_other as other
from rnnviz.core.exercises import runs_series as ts
from rnnviz.core.exercises.records import Exercise, FileInput, Runner, Setup

#: Section titles, in the book's order; the key is the prefix of the exercise ids.
SECTIONS: dict[str, str] = {
    "rnn": "9.4–9.6 Recurrent Neural Networks",
    "lstm": "10.1 Long Short-Term Memory (LSTM)",
    "gru": "10.2 Gated Recurrent Units (GRU)",
    "deep": "10.3 Deep Recurrent Neural Networks",
    "bi": "10.4 Bidirectional Recurrent Neural Networks",
    "mt": "10.5 Machine Translation and the Dataset",
    "ed": "10.6 The Encoder–Decoder Architecture",
    "s2s": "10.7 Sequence-to-Sequence Learning for Machine Translation",
    "beam": "10.8 Beam Search",
}

_LM = ("phrasebook-en", "lm")
_MT = ("phrasebook", "mt")
_TOY = ("toy-reverse", "mt")  # the toy sequence-to-sequence tasks (rnnviz.core.data.toy_pairs)


def _ex(id: str, title: str, paraphrase: str, question: str, setup: Setup, runner: Runner | None = None,
        needs: str = "", meanwhile: str = "", accepts: FileInput | None = None) -> Exercise:
    chapter, number = id.rsplit("-", 1)
    return Exercise(id, SECTIONS[chapter], int(number), title, paraphrase, question, setup,
                    f"needs: {needs}" if needs else "ready", meanwhile, None if needs else runner, accepts)


def _s(data: tuple[str, str], preset: str | None, view: str, *compares: str, **settings: object) -> Setup:
    return Setup(data[0], data[1], preset, view, compares, settings)


EXERCISES: tuple[Exercise, ...] = (
    # ---- 9.4–9.6 RNN ----
    _ex("rnn-1", "Output size for next characters",
        "9.4: an RNN predicts the next character from one-hot inputs. How many outputs does it need at each step?",
        "Find the output layer in the Builder: what is its shape, and why must it equal the input's?",
        _s(_LM, "rnn-lm", "Builder"), lm.run_rnn_1),
    _ex("rnn-2", "Conditioning on every earlier token",
        "9.4: explain how the hidden state lets an RNN's prediction at step t depend on all tokens before t, "
        "not only on a fixed window.",
        "Step through H_t in the Gates tab: which earlier inputs does each state still carry?",
        _s(_LM, "rnn-lm", "Gates"), lm.run_rnn_2),
    _ex("rnn-3", "Gradients through a long sequence",
        "9.7 (backpropagation through time, used by 9.5–9.6): what happens to the gradient when it travels back "
        "through many steps?",
        "In the Gradients tab, how fast does g[t] fall as t moves away from the last step?",
        _s(_LM, "rnn-lm", "Gradients"), lm.run_rnn_3),
    _ex("rnn-4", "Problems of the character model",
        "9.5: list what goes wrong with the character-level language model: its text, and how its predictions "
        "depend on position.",
        "Generate at several temperatures: where does the text loop, where does it invent? Where is perplexity "
        "worst?",
        _s(_LM, "rnn-lm", "Generate", temperatures=[0.0, 0.5, 1.0, 1.5]), lm.run_rnn_4),
    # ---- 10.1 LSTM ----
    _ex("lstm-1", "LSTM hyperparameters",
        "10.1: change the LSTM's hyperparameters and see how runtime, perplexity and generated text respond.",
        "Which of the two sizes reaches the lower perplexity in the same steps, and at what cost in time?",
        _s(_LM, "lstm-lm", "Training", "hidden 16", "hidden 64"), lm.run_lstm_1),
    _ex("lstm-2", "Words instead of characters",
        "10.1: train the model to produce words rather than characters: what changes in the model and its "
        "output?",
        "Set the token level to words (Data dock): how big are the vocabulary and the output layer now?",
        _s(_LM, "lstm-lm", "Training", "words", token_level="word"), lm.run_lstm_2),
    _ex("lstm-3", "Cost of RNN, GRU and LSTM",
        "10.1: compare the computational cost of the RNN, GRU and LSTM at the same hidden size, for training "
        "and for inference.",
        "In the Builder's Compare cells tab: do measured speeds follow the FLOPs ratios?",
        _s(_LM, "lstm-lm", "Builder", "rnn", "gru", "lstm"), other.run_lstm_3),
    _ex("lstm-4", "Why tanh on the hidden state",
        "10.1: the memory cell is already combined from bounded values; why apply tanh again before the output "
        "gate?",
        "In the Gates tab compare the ranges of C_t and H_t: which one can leave (−1, 1)?",
        _s(_LM, "lstm-lm", "Gates"), lm.run_lstm_4),
    _ex("lstm-5", "Forecasting a time series",
        "10.1: use an LSTM to predict the next values of a time series instead of the next token.",
        "How do one-step and k-step forecasts differ, and where does the multi-step forecast leave the data? "
        "(Run it on a column of your own CSV file too.)",
        _s(("the book's noisy sine", "series"), None, ""), ts.run_lstm_5,
        accepts=FileInput("csv", "a CSV file with a header row and a column of numbers in time order, one value "
                                 "a row (give the column by name or number)", column=True)),
    # ---- 10.2 GRU ----
    _ex("gru-1", "RNN against GRU",
        "10.2: compare the vanilla RNN and the GRU on the same data: runtime, perplexity and the text they "
        "generate.",
        "Which one trains faster per step, and which one reaches the lower perplexity?",
        _s(_LM, "gru-lm", "Training", "rnn-lm", "gru-lm"), lm.run_gru_1),
    _ex("gru-2", "Gates that remember one input",
        "10.2: which values of the reset and update gates make the output at step t depend only on the input at "
        "an earlier step t′?",
        "On the recall task, find the units whose update gate stays near 1 across the lag.",
        _s(("recall", "recall"), "recall-gru", "Gates"), lm.run_gru_2),
    _ex("gru-3", "GRU hyperparameters",
        "10.2: vary the GRU's hyperparameters and watch running time, perplexity and the generated text.",
        "Two hidden sizes, the same steps: what does the larger one buy?",
        _s(_LM, "gru-lm", "Training", "hidden 16", "hidden 64"), lm.run_gru_3),
    _ex("gru-4", "A GRU with one gate",
        "10.2: build a GRU with only a reset gate and one with only an update gate, and compare them with the "
        "full GRU.",
        "Which gate matters more for perplexity? Look at their equations in the Gates tab.",
        _s(_LM, "gru-lm", "Gates", "gru-book", "gru-reset", "gru-update"), lm.run_gru_4),
    # ---- 10.3 deep ----
    _ex("deep-1", "A two-layer RNN from scratch",
        "10.3: write a two-layer RNN from scratch, following the single-layer scratch implementation.",
        "In the Builder, what does the second layer read, and what is the shape of its W_xh?",
        _s(_LM, "deep-gru", "Builder"), lm.run_deep_1),
    _ex("deep-2", "Deep GRU against deep LSTM",
        "10.3: replace the GRU layers of the deep model by LSTM layers and compare accuracy and speed.",
        "Same steps, same data: which is faster, which reaches the lower perplexity?",
        _s(_LM, "deep-gru", "Training", "deep-gru", "deep-lstm"), lm.run_deep_2),
    _ex("deep-3", "More data: several books",
        "10.3: train on more text, several books together: how low can the perplexity go?",
        "Train the same model on one text, then on more: does the perplexity on the first text's validation part "
        "fall, and what does each added text cost or bring? (Data dock → Open file…: choose several books.)",
        _s(_LM, "deep-gru", "Training", "one text", "more texts"), corpora.run_deep_3,
        accepts=FileInput("text", "two or more plain-text books (UTF-8), one file each: the first alone, then "
                                  "the first two, … (at most five)", many=True)),
    _ex("deep-4", "Mixing authors",
        "10.3: combine texts of different authors: what helps the model and what goes wrong?",
        "Read a model of each author and a model of all of them on every author's validation text: where does "
        "mixing cost perplexity, and where does it pay?",
        _s(_LM, "deep-gru", "Training", "each author alone", "authors mixed"), corpora.run_deep_4,
        accepts=FileInput("text", "two to four plain-text files (UTF-8), one per author: a model of each, and one "
                                  "of all", many=True)),
    # ---- 10.4 bidirectional ----
    _ex("bi-1", "Unequal hidden sizes per direction",
        "10.4: give the forward and backward directions different numbers of hidden units: what shape is H_t?",
        "In the Builder, read the shape of H_t and of the output layer.",
        _s(_LM, "bi-gru-unequal", "Builder"), other.run_bi_1),
    _ex("bi-2", "A deep bidirectional RNN",
        "10.4: build a bidirectional RNN with several hidden layers.",
        "What does the second layer read at step t?",
        _s(_LM, "bi-lstm-lm", "Builder"), other.run_bi_2),
    _ex("bi-3", "Classifying sequences",
        "10.4: classify whole sequences with a bidirectional RNN: average its outputs over time and feed them to "
        "an MLP.",
        "Which classes does it confuse, and which sentences does it get wrong? (Run it on your own TSV file of "
        "text and label too.)",
        _s(("phrasebook: statement, question, negation", "classify"), None, ""), classify.run_bi_3,
        accepts=FileInput("tsv", "one example per line: the text, a TAB, its label (at least 20 lines, two labels "
                                 "or more)")),
    _ex("bi-4", "A word in its context",
        "10.4: the same word can mean different things (polysemy); does a bidirectional model give it different "
        "states in different sentences?",
        "Compare the cosines of the two uses with the control's: which layer and direction tells the uses apart "
        "most? (rnnviz context WORD \"A\" \"B\" tries your own pair.)",
        _s(_LM, "bi-lstm-lm", "Gates"), classify.run_bi_4),
    # ---- 10.5 MT data ----
    _ex("mt-1", "Another translation data set",
        "10.5: try a translation data set other than English–French.",
        "Open a file of pairs (Data dock → Open file): how do its vocabularies and lengths compare?",
        _s(_MT, "seq2seq", "Translate"), other.run_mt_1),
    # ---- 10.6 encoder–decoder ----
    _ex("ed-1", "Other encoder–decoder tasks",
        "10.6: which other applications fit the encoder–decoder architecture?",
        "Train on the toy tasks (Data dock: toy-reverse, toy-sort, toy-dates): which one does the model get exactly "
        "right first, and which one stays hard?",
        _s(_TOY, "seq2seq", "Training", "toy-reverse", "toy-sort", "toy-dates"), mt.run_ed_1),
    _ex("ed-2", "A deep encoder–decoder",
        "10.6: make the encoder and the decoder deeper, several layers each.",
        "In the Builder, add layers to both: what must stay equal for the identity bridge?",
        _s(_MT, "seq2seq", "Builder"), other.run_ed_2),
    # ---- 10.7 seq2seq ----
    _ex("s2s-1", "Other uses of sequence to sequence",
        "10.7: where else could sequence-to-sequence learning be used?",
        "Translate digit strings and dates with a model trained on a toy task: where do its mistakes sit, at the "
        "start or the end of the output?",
        _s(_TOY, "seq2seq", "Translate", "toy-reverse", "toy-sort", "toy-dates"), mt.run_s2s_1),
    _ex("s2s-2", "Longer source sentences",
        "10.7: how does translation quality change as the source sentences get longer?",
        "In the Translate tab, press \"BLEU by source length\": does BLEU fall as the sources get longer, and how "
        "many pairs does each bar stand on?",
        _s(_MT, "seq2seq", "Translate"), mt.run_s2s_2),
    _ex("s2s-3", "Training without the padding mask",
        "10.7: train without masking the padding in the loss: what happens to training and translations?",
        "Train once with \"Mask padding\" (Config dock, Loss) and once without, same seed: which "
        "validation loss is lower, and is that a fair comparison?",
        _s(_MT, "seq2seq", "Training", "masked", "unmasked", mask_padding=[True, False]), mt.run_s2s_3),
    # ---- 10.8 beam search ----
    _ex("beam-1", "Exhaustive search as a beam",
        "10.8: show that exhaustive search is beam search with a particular beam size.",
        "In the Beam search tab, raise k until nothing is pruned: does the best sequence still change?",
        _s(_MT, None, "Beam search", "greedy", "beam", "exhaustive"), other.run_beam_1),
    _ex("beam-2", "Searching in language models",
        "10.8: which search does the book's language model use to generate text, and how could it be improved?",
        "Greedy, beam and sampling from the same prefix: which continuation has the higher probability, which "
        "reads better?",
        _s(_LM, "gru-lm", "Generate", "greedy", "beam", "sample"), other.run_beam_2),
)

_BY_ID = {e.id: e for e in EXERCISES}


def exercise_ids() -> tuple[str, ...]:
    return tuple(_BY_ID)


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id`` (e.g. "gru-4"); a ConfigError listing the ids when there is none."""
    try:
        return _BY_ID[exercise_id.strip().lower()]
    except KeyError:
        raise ConfigError(f"no exercise {exercise_id!r}; the exercises are {', '.join(_BY_ID)} "
                          "(rnnviz exercises list).") from None


def by_section() -> dict[str, tuple[Exercise, ...]]:
    """Section title -> its exercises, in the book's order (the menu's structure)."""
    return {title: tuple(e for e in EXERCISES if e.chapter == key) for key, title in SECTIONS.items()}
