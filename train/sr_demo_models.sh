#!/usr/bin/env bash
# The three bundled x4 super-resolution models: L2 first, then the feature and GAN models start from it
# (as SRGAN starts from SRResNet). About 50 + 2 x 30 min on 2 CPU cores; add `accelerate launch` on a GPU.
set -euo pipefail
DATA=${DATA:-../shared/data/photos/bsds500-train}
EVAL=${EVAL:-../shared/data/photos/bsd100}
python -m train.super_resolution --loss l2 --data "$DATA" --eval_data "$EVAL" --max_steps 8000 \
    --output_dir outputs/sr-l2
for loss in feature feature+gan; do
    name=$([ "$loss" = feature ] && echo perceptual || echo gan)
    python -m train.super_resolution --loss "$loss" --init outputs/sr-l2/final --data "$DATA" --eval_data "$EVAL" \
        --crop 96 --learning_rate 1e-4 --warmup_steps 100 --max_steps 2000 --output_dir "outputs/sr-$name" &
done
wait
for name in l2 perceptual gan; do python -m train.bundle "outputs/sr-$name/final" "sr-x4-$name"; done
