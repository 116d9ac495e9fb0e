"""A process that records a tiny run, for the tests that kill it or follow it from outside.

    python record_child.py FOLDER CORPUS EPOCHS SAVE_EVERY_STEPS PAUSE_S

Prints "ready" once the recorder holds its folder, then trains (sleeping PAUSE_S after each
step, so that a follower sees the run grow) and prints "done".
"""

from __future__ import annotations

import sys
import time


def main(folder: str, corpus: str, epochs: str, every: str, pause: str) -> None:
    import torch

    torch.set_num_threads(1)
    from rnnviz.core.config import DataConfig, ModelConfig, StackSpec, TrainConfig
    from rnnviz.core.events import Step
    from rnnviz.core.runs import RunRecorder
    from rnnviz.core.session import TrainingSession

    session = TrainingSession(DataConfig(corpus=corpus, num_steps=8, batch_size=8),
                              ModelConfig("lm", StackSpec("gru", (8,))),
                              TrainConfig(epochs=int(epochs), lr=1.0, device="cpu"))
    session.prepare()
    delay = float(pause)

    with RunRecorder.create(folder, session.bundle, save_every_steps=int(every) or None) as recorder:
        print("ready", flush=True)

        def on_event(event: object) -> None:
            recorder.record(event)  # type: ignore[arg-type]
            if delay and isinstance(event, Step):
                time.sleep(delay)

        session.run(on_event)
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
