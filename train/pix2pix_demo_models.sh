#!/usr/bin/env bash
# The pix2pix demo models: 5 tasks x (L1 + cGAN, L1 only), same data, steps and schedule per pair.
# Resize-conv upsampling (the trainer's default) and, for inpainting, brush-stroke holes. Resumable: rerun it.
# Arguments name the tasks to train (default: all five), e.g. two chains on one thread each:
#   OMP_NUM_THREADS=1 bash train/pix2pix_demo_models.sh edges2shoes & OMP_NUM_THREADS=1 bash train/pix2pix_demo_models.sh grayscale &
set -u
# MIXED_PRECISION=no on a CPU without native bf16 (AVX2 only: bf16 autocast ran 8-17x slower than fp32 there).
tasks=${*:-facades edges2shoes inpainting grayscale streets}
. .venv/bin/activate
common="--image_size 128 --base_channels 32 --max_channels 96 --batch_size 8 --mixed_precision ${MIXED_PRECISION:-bf16} --ema_decay 0.999 --checkpoint_every 500 --sample_every 500 --log_every 50 --resume latest"
run() {  # name, steps, args...
  name=$1; steps=$2; shift 2
  [[ " $tasks " == *" $name "* ]] || return 0
  for objective in l1+cgan l1; do
    out=outputs/p2p/$name-${objective/+/-}; mkdir -p outputs/p2p
    [ -f $out/final/model.safetensors ] && continue
    python -m train.pix2pix "$@" --objective $objective --max_steps $steps $common --output_dir $out > $out.log 2>&1
  done
}
run facades 4000 --task facades --data ../shared/data/facades/train --eval_data ../shared/data/facades/val
run edges2shoes 4000 --task edges2shoes --data ../shared/data/edges2shoes/train --eval_data ../shared/data/edges2shoes/val
run inpainting 4000 --task inpainting --data ../shared/data/faces/ffhq256
run streets 4000 --task streets --data ../shared/data/camvid/train --eval_data ../shared/data/camvid/val
run grayscale 4000 --task grayscale --data ../shared/data/photos/bsds500-train --eval_data ../shared/data/photos/bsd100
echo chain done
