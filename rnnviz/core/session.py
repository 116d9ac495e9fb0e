"""One training run, from settings to a trained model: what the CLI and the GUI's worker both drive.

A :class:`TrainingSession` owns one run::

    session = TrainingSession(data_config, model_config, train_config)   # or initial=bundle to continue
    session.prepare()                      # the data, the model, the device (slow: may download)
    events = session.start()               # None when a Stop came before the first step
    event = next(events)
    while not isinstance(event, Finished):
        event = events.send(None)          # or Pause(), Resume(), StepOnce(), Stop(), SetLearningRate(lr)

``start`` wraps :func:`rnnviz.core.train.train` in a generator of the same
contract, with two differences that every consumer sees alike:

- a continued model's events follow on from its history: their step, epoch and
  elapsed time count on from where the earlier runs ended (the curves of a
  continued run carry on instead of restarting at 0);
- each event is added to the bundle's history before it is yielded.

Between two events the weights do not change: :meth:`snapshot` copies them and
:meth:`sample` decodes a probe with the live model then.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from rnnviz.core.config import DataConfig, ModelConfig, TrainConfig
from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.core.events import (
    Command, EpochEnd, Event, Finished, History, NonFinite, Pause, Paused, Resume, SetLearningRate, Step,
    StepOnce, Stop, nonfinite_message,
)

#: Tokens a language model generates for a live sample.
SAMPLE_LENGTH = 60

Events = Generator[Event, "Command | None", None]


@dataclass(frozen=True)
class RunFacts:
    """What a prepared run is: known once the data and the model exist, before the first step."""

    label: str  # names the run in legends, e.g. "GRU 1×32, sgd lr 4" ('' when none was given)
    task: str  # "lm" or "mt"
    description: str  # checkpoint.describe(bundle): cell variant, implementation, parameters
    parameters: int  # sum(p.numel()) of the built model: the Builder's anatomy total for it
    device: str  # the resolved device, e.g. "cpu" or "cuda"
    batches_per_epoch: int
    epochs: int
    vocab_sizes: tuple[int, ...]  # (tokens,) or (source, target)
    # Where the model's history ended: a continued run's events count on from there.
    start_step: int = 0
    start_epoch: int = 0
    start_elapsed: float = 0.0
    notes: tuple[str, ...] = ()  # what the user should be told as the run starts (a continued model's init)


@dataclass(frozen=True)
class HistoryEnd:
    """Where a model's history ends: a continued run's events count on from here."""

    step: int = 0
    epoch: int = 0
    elapsed: float = 0.0

    @classmethod
    def of(cls, history: History) -> HistoryEnd:
        return cls(history.step[-1] if history.step else 0, history.epoch[-1] if history.epoch else 0,
                   history.elapsed[-1] if history.elapsed else 0.0)

    def shift(self, event: Event, clipped: bool) -> Event:
        """``event`` as it reads after the history: step, epoch and elapsed time counted on."""
        if self == HistoryEnd():
            return event
        if isinstance(event, (Step, EpochEnd, Paused, Finished)):
            return dataclasses.replace(event, step=event.step + self.step, epoch=event.epoch + self.epoch,
                                       elapsed=event.elapsed + self.elapsed)
        if isinstance(event, NonFinite):  # its message names the step: say the one the curves show
            step, epoch = event.step + self.step, event.epoch + self.epoch
            return dataclasses.replace(event, step=step, epoch=epoch, message=nonfinite_message(
                step, epoch, event.loss, event.grad_norm, event.lr, clipped))
        return event


@dataclass(frozen=True)
class StartPlan:
    """Commands given before the first step, folded into how the generator starts."""

    config: TrainConfig  # with the last learning rate asked for
    paused: bool
    stop: bool
    pending: tuple[Command, ...]  # StepOnce commands to give once it waits, in order

    @classmethod
    def fold(cls, config: TrainConfig, commands: Iterable[Command]) -> StartPlan:
        paused, stop, pending = False, False, []
        for command in commands:
            if isinstance(command, Stop):
                stop = True
            elif isinstance(command, Pause):
                paused = True
            elif isinstance(command, Resume):
                paused = False
                pending.clear()
            elif isinstance(command, StepOnce):
                paused = True
                pending.append(command)
            elif isinstance(command, SetLearningRate):
                if not command.lr > 0:
                    raise ConfigError(f"the learning rate must be positive, not {command.lr}.")
                config = dataclasses.replace(config, lr=command.lr)
            else:
                raise TypeError(f"not a training command: {command!r}")
        return cls(config, paused, stop, tuple(pending))


def continued_bundle(initial: Any, data: Any, wanted_init: str | None = None) -> Any:
    """A copy of an opened or earlier model, checked against the data it is to learn from.

    ``wanted_init``: the initialisation the user chose for new models (the Builder's, the CLI's);
    when it differs from the model's own, the copy's origin notes say so. Not a refusal: a
    trained model's weights no longer depend on how they were first drawn.
    """
    is_mt = hasattr(data, "src_vocab")
    data_task = getattr(data, "task", None) or ("mt" if is_mt else "lm")  # MemoryData names its task
    if initial.task != data_task and {initial.task, data_task} == {"lm", "mt"}:
        raise ConfigError(f"the model to continue is a {'translation' if initial.task == 'mt' else 'language'} "
                          "model and this corpus is for the other task; pick a matching corpus, or reset "
                          "the model to train a fresh one.")
    if initial.task != data_task:
        words = {"lm": "a language model", "mt": "a translation model", "recall": "the recall task",
                 "adding": "the adding problem", "copy": "the copy task"}
        raise ConfigError(f"the model to continue is for {words.get(initial.task, initial.task)} and these data "
                          f"are for {words.get(data_task, data_task)}; pick the model's own task or corpus, or "
                          "reset the model to train a fresh one.")
    vocabs = (data.src_vocab, data.tgt_vocab) if is_mt else () if data.vocab is None else (data.vocab,)
    if tuple(vocabs) != tuple(initial.vocabs):
        sizes = "/".join(str(len(v)) for v in initial.vocabs)
        raise ConfigError(f"the model to continue knows a different vocabulary ({sizes} tokens) than these "
                          f"data settings give ({'/'.join(str(len(v)) for v in vocabs)}); use the data "
                          "settings it was trained with, or reset the model to train a fresh one.")
    bundle = copy.deepcopy(initial)  # the caller may still be using it
    bundle.data_config = data.config
    from rnnviz.core.models.init_scheme import init_note

    note = init_note(initial.model_config.init, wanted_init)
    if note is not None and note not in bundle.origin.notes:
        bundle.origin = dataclasses.replace(bundle.origin, notes=(*bundle.origin.notes, note))
    return bundle


def snapshot_of(bundle: Any) -> Any:
    """A copy of the bundle that shares nothing mutable with it: model on the CPU, in eval mode."""
    model = copy.deepcopy(bundle.model).to("cpu").eval()
    for parameter in model.parameters():
        parameter.grad = None
    return dataclasses.replace(bundle, model=model, history=History.from_dict(bundle.history.to_dict()))


def sample_text(bundle: Any, probe: str, length: int = SAMPLE_LENGTH) -> str:
    """The live model's continuation (LM) or greedy translation (MT) of ``probe``; train mode is kept."""
    from rnnviz.core.decoding import generate, translate

    model = bundle.model
    was_training = model.training
    try:  # decoding puts the model in eval mode; training must go on as it was
        if bundle.task == "mt":
            return translate(bundle, probe).text
        return generate(bundle, probe, length).text
    finally:
        model.train(was_training)


class TrainingSession:
    """One run: build (or continue) the model, drive ``core.train``, keep its history.

    ``initial``: a ModelBundle to continue (copied at :meth:`prepare`, never changed);
    ``model_config`` is then ignored: that model is trained as it is. ``data``: data
    already built from ``data_config`` (a benchmark builds it once for many runs).
    ``label``: the run's name in legends, passed on in its facts.
    """

    def __init__(self, data_config: DataConfig, model_config: ModelConfig | None, train_config: TrainConfig, *,
                 initial: Any = None, data: Any = None, label: str = "") -> None:
        if initial is None and model_config is None:
            raise ConfigError("a fresh run needs a model configuration.")
        self.data_config, self.model_config, self.train_config = data_config, model_config, train_config
        self.initial, self.label = initial, label
        self.data: Any = data
        self.bundle: Any = None  # the model being trained, once prepared
        self.device: Any = None  # torch.device, once prepared
        self._pending: deque[Command] = deque()
        self._start_end: HistoryEnd | None = None  # set by start()
        self.plan: StartPlan | None = None  # how start() began the run: paused or not, which lr
        self._built: Any = None  # prepare(): the model built, until it is on its device
        self._clipped = train_config.grad_clip is not None

    # ---- preparing ----

    def prepare(self, progress: Callable[[int, int | None], bool | None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> bool:
        """Resolve the device, build the data and the model; False if ``cancelled()`` became true.

        ``progress(received, total)`` hears of a download; ``cancelled`` is asked during a
        download and between the phases (the device, the data, the model, the model on its
        device), so that a Stop or a closing window is heard within one phase; a cancelled
        preparation keeps no model (``bundle`` stays None). User errors raise RnnvizError
        (ConfigError, DataError).
        """
        asked = cancelled or (lambda: False)
        self.bundle = None
        phases: tuple[Callable[[], None], ...] = (
            self._resolve_device,  # imports torch on a first run; a missing device fails before a download
            lambda: self._build_data(progress, asked, cancelled is not None),
            self._build_model,
            self._move_model,
        )
        for phase in phases:
            if asked():
                break
            phase()
        if asked():
            self.bundle = self._built = None  # a cancelled preparation keeps no model
            return False
        return True

    # ---- the phases of prepare(), in order ----

    def _resolve_device(self) -> None:
        from rnnviz.core.train import resolve_device  # torch: imported by the first run, not by the GUI

        self.device = resolve_device(self.train_config.device)

    def _build_data(self, progress: Callable[[int, int | None], bool | None] | None, asked: Callable[[], bool],
                    listen: bool) -> None:
        """Read and clean the corpus (downloading it if needed), build its vocabulary and token arrays."""
        if self.data is not None:
            return
        from rnnviz.core.data.datasets import build_data
        from rnnviz.core.data.hub import DownloadCancelled

        def report(received: int, total: int | None) -> bool:
            if progress is not None and progress(received, total) is False:
                return False
            return not asked()
        try:
            self.data = build_data(self.data_config, progress=report if progress is not None or listen else None)
        except DownloadCancelled:
            if not asked():
                raise  # refused by ``progress`` itself, not cancelled: the caller's to handle
            # cancelled: prepare() sees it before the next phase

    def _build_model(self) -> None:
        if self.initial is None:
            from rnnviz.core.models.factory import bundle_for

            bundle = bundle_for(self.data, self.model_config, seed=self.train_config.seed)
        else:
            wanted = self.model_config.init if self.model_config is not None else None
            bundle = continued_bundle(self.initial, self.data, wanted)
        bundle.train_config = self.train_config
        self._built = bundle

    def _move_model(self) -> None:
        """The model on its device here, where a Stop is heard: a GPU's first use can take seconds."""
        bundle, self._built = self._built, None
        bundle.model.to(self.device)
        self.bundle = bundle

    def facts(self) -> RunFacts:
        """What this run is (after :meth:`prepare`)."""
        from rnnviz.core.checkpoint import describe

        bundle = self._prepared()
        end = self.history_end
        return RunFacts(label=self.label, task=bundle.task, description=describe(bundle),
                        parameters=bundle.parameter_count(), device=str(self.device),
                        batches_per_epoch=self.data.num_train_batches(), epochs=self.train_config.epochs,
                        vocab_sizes=tuple(len(v) for v in bundle.vocabs),
                        start_step=end.step, start_epoch=end.epoch, start_elapsed=end.elapsed,
                        notes=tuple(n for n in bundle.origin.notes
                                    if self.initial is None or n not in self.initial.origin.notes))

    @property
    def history_end(self) -> HistoryEnd:
        """Where the model's history stood when this run started (zeros for a fresh model)."""
        return self._start_end if self._start_end is not None else HistoryEnd.of(self._prepared().history)

    # ---- training ----

    def start(self, commands: Iterable[Command] = ()) -> Events | None:
        """The run's events (see the module doc); ``commands`` were given while preparing.

        A Stop among them ends the run before its first step: None, and nothing is kept
        (``bundle`` becomes None). Pause starts it paused; StepOnce starts it paused and is
        given to the generator once it waits; the last SetLearningRate applies from step 1.
        """
        bundle = self._prepared()
        plan = self.plan = StartPlan.fold(self.train_config, commands)
        if plan.stop:
            self.bundle = None
            return None
        self._pending = deque(plan.pending)
        end = self._start_end = HistoryEnd.of(bundle.history)
        train_module = importlib.import_module("rnnviz.core.train")  # looked up now: a test may replace train
        generator = train_module.train(bundle.model, self.data, plan.config, start_paused=plan.paused)
        return self._events(generator, bundle, end)

    def awaits_command(self, event: Event) -> bool:
        """True when, after ``event``, the run stays where it is until a command comes."""
        return isinstance(event, (Paused, NonFinite)) and not self._pending

    def run(self, on_event: Callable[[Event], None] | None = None) -> Finished | NonFinite | None:
        """Prepare if needed and drive the run to its end with no commands; stops at a non-finite loss."""
        if self.bundle is None:
            self.prepare()
        events = self.start()
        if events is None:
            return None
        try:
            event = next(events)
            while True:
                if on_event is not None:
                    on_event(event)
                if isinstance(event, (Finished, NonFinite)):
                    return event
                event = events.send(None)
        finally:
            events.close()

    def _events(self, generator: Events, bundle: Any, end: HistoryEnd) -> Events:
        try:
            event = next(generator)
            while True:
                event = end.shift(event, self._clipped)
                bundle.history.add(event)
                command = yield event
                if isinstance(event, Finished):
                    return
                if self._pending:  # commands given while preparing go first, then the caller's
                    if command is not None:
                        self._pending.append(command)
                    command = self._pending.popleft()
                event = generator.send(command)
        finally:
            generator.close()

    # ---- copies and samples, between two events ----

    def snapshot(self) -> Any:
        """A copy of the model as it is now (CPU, eval mode), sharing nothing with the live one."""
        return snapshot_of(self._prepared())

    def sample(self, probe: str, length: int = SAMPLE_LENGTH) -> str:
        """The live sample of ``probe``, or why there is none: never raises, training must go on."""
        try:
            return sample_text(self._prepared(), probe, length)
        except RnnvizError as exc:  # e.g. a prefix that is empty once cleaned: said, not fatal
            return str(exc)
        except Exception as exc:  # a bug in decoding must not end the training either
            return f"(no sample: {type(exc).__name__}: {exc})"

    def _prepared(self) -> Any:
        if self.bundle is None:
            raise RuntimeError("the session has no model: call prepare() first (or it was stopped before a step).")
        return self.bundle
