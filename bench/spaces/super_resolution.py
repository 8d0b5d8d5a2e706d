"""Super-resolution Space: x4 of a 128x128 input (target: < 200 ms p50), against PIL bicubic; the whole handler."""

import torch
from PIL import Image
from skimage import data

from bench.harness import Case
from core.super_resolution.model import pil_bicubic_upscale


def cases(app):
    low = Image.fromarray(data.astronaut()).resize((128, 128), Image.Resampling.BICUBIC)
    batch = torch.rand(1, 3, 128, 128)

    def network(name):
        def run():
            with torch.inference_mode():
                app.models[name](batch)
        return run

    photo = Image.fromarray(data.chelsea())
    return [
        *(Case(f"{name} network: 128x128 -> 512x512", network(name),
               baseline=lambda: pil_bicubic_upscale(low, 4), baseline_name="PIL bicubic 128 -> 512")
          for name in app.models),
        Case("whole handler: chelsea 451x300, shrink x4, 4 upscales + PSNR/SSIM + zoom",
             lambda: app.run(photo, list(app.MODES)[0], 50, 40, 64), repeats=5),
        Case("as-is upscale 256x171 -> 1024x684, 3 networks", lambda: app.run(photo, list(app.MODES)[1], 50, 40, 64),
             repeats=5),
    ]
