#!/usr/bin/env bash
# The two bundled DDPMs (diffusers UNet2DModel, cosine schedule, bf16, EMA 0.999): digits at 32x32, then faces at
# 64x64 (v-prediction, Min-SNR-5). Digits about 25 min on 2 CPU cores; faces about 90 min (4,000 steps at
# ~1.2 s on 2 threads; ours ran 1,000 steps on one thread beside a GAN run, then the rest alone, with resumes).
set -euo pipefail
python -m train.diffusion --data mnist:../shared/data/mnist --max_steps 1800 --output_dir outputs/digits-diffusion
python -m train.diffusion --data ../shared/data/faces/ffhq256 --image_size 64 --block_channels 32,64,128,128 \
    --attention_levels 3 --prediction_type v_prediction --min_snr_gamma 5 --batch_size 32 --max_steps 4000 \
    --learning_rate 5e-4 --eval_count 100 --output_dir outputs/faces-diffusion --resume latest
python -m train.bundle outputs/digits-diffusion/final digits-diffusion
python -m train.bundle outputs/faces-diffusion/final faces-diffusion --half  # 17 MB in float32: over the limit
