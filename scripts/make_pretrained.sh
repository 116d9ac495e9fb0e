#!/usr/bin/env bash
# Rebuild the small pretrained models shipped in resources/pretrained/ (a few minutes on a CPU).
# Both train on the built-in phrasebook, so they work offline at first launch.
set -euo pipefail
cd "$(dirname "$0")/.."
out=resources/pretrained
mkdir -p "$out"

# The book's character-level GRU language model (one-hot inputs), wider than its hidden 32.
python -m rnnviz train lm --corpus phrasebook-en --cell gru --hidden 128 --layers 1 \
    --epochs 30 --lr 4 --optimizer sgd --batch-size 128 --num-steps 32 --seed 0 \
    --device cpu --out "$out/phrasebook-lm.pt"

# The book's GRU encoder-decoder (2 layers), sized to stay small; num_steps 12 keeps every sentence.
python -m rnnviz train mt --corpus phrasebook --cell gru --hidden 128 --layers 2 --embed 64 \
    --dropout 0.1 --epochs 30 --lr 0.005 --optimizer adam --batch-size 128 --num-steps 12 --seed 0 \
    --device cpu --out "$out/phrasebook-mt.pt"

ls -l "$out"
