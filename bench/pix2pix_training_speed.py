"""pix2pix training throughput at 256x256: the paper's configuration against our fast settings.

    python -m bench.pix2pix_training_speed            # CPU here; on a GPU it uses cuda

Reference (Isola et al.): batch 1, instance norm, float32, full-width U-Net (64 -> 512) and 70x70
PatchGAN. Fast: batch 8, bfloat16 autocast, channels-last memory. Images/s over timed G+D steps.
"""

from __future__ import annotations

import argparse
import time

import torch

from core.adversarial.losses import discriminator_loss, generator_loss
from core.pix2pix.networks import PatchDiscriminator, UNetGenerator


def images_per_second(batch: int, bf16: bool, channels_last: bool, device: str, steps: int, base: int, widest: int) -> float:
    torch.manual_seed(0)
    generator = UNetGenerator(image_size=256, base_channels=base, max_channels=widest).to(device)
    discriminator = PatchDiscriminator(base_channels=base, layers=3).to(device)
    memory = torch.channels_last if channels_last else torch.contiguous_format
    generator, discriminator = generator.to(memory_format=memory), discriminator.to(memory_format=memory)
    optimizers = [torch.optim.Adam(m.parameters(), 2e-4, betas=(0.5, 0.999)) for m in (generator, discriminator)]
    condition = torch.randn(batch, 3, 256, 256, device=device).to(memory_format=memory)
    target = torch.randn(batch, 3, 256, 256, device=device).to(memory_format=memory)

    def step():
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            fake = generator(condition)
            d_loss = 0.5 * discriminator_loss(discriminator(condition, target), discriminator(condition, fake.detach()))
        optimizers[1].zero_grad()
        d_loss.backward()
        optimizers[1].step()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            g_loss = generator_loss(discriminator(condition, fake)) + 100 * (fake - target).abs().mean()
        optimizers[0].zero_grad()
        g_loss.backward()
        optimizers[0].step()

    step()  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - started)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--base_channels", type=int, default=64, help="the paper: 64")
    parser.add_argument("--max_channels", type=int, default=512, help="the paper: 512")
    args = parser.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"pix2pix training at 256x256 on {name}, U-Net {args.base_channels}->{args.max_channels}, 70x70 PatchGAN\n")
    reference = images_per_second(1, False, False, device, args.steps, args.base_channels, args.max_channels)
    print(f"{'reference: batch 1, float32':<45} {reference:8.2f} images/s")
    for label, batch, bf16, last in (("batch 8, float32", 8, False, False), ("batch 8, bf16", 8, True, False),
                                     ("fast: batch 8, bf16, channels-last", 8, True, True)):
        speed = images_per_second(batch, bf16, last, device, args.steps, args.base_channels, args.max_channels)
        print(f"{label:<45} {speed:8.2f} images/s   {speed / reference:.2f}x")


if __name__ == "__main__":
    main()
