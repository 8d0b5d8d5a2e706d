#!/usr/bin/env bash
# The two bundled DDPMs (diffusers UNet2DModel, cosine schedule, bf16, EMA 0.999): digits, then faces at
# 32x32. About 25 and 35 min alone on 2 CPU cores (ours ran side by side, sharing them, with resumes).
set -euo pipefail
python -m train.diffusion --data mnist:../shared/data/mnist --max_steps 1800 --output_dir outputs/digits-diffusion
python -m train.diffusion --data ../shared/data/faces/ffhq256 --block_channels 32,64,128 --max_steps 1800 \
    --output_dir outputs/faces-diffusion
python -m train.bundle outputs/digits-diffusion/final digits-diffusion
python -m train.bundle outputs/faces-diffusion/final faces-diffusion --half  # 11 MB in float32: over the limit
