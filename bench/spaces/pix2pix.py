"""pix2pix Space: one 256x256 translation (target < 150 ms p50), and each tab's whole handler at 128x128."""

import numpy as np
import torch
from PIL import Image

from bench.harness import Case


def cases(app):
    model = app.models["facades", "l1-cgan"]
    x256, x128 = torch.randn(1, 3, 256, 256), torch.randn(1, 3, 128, 128)
    facade = np.asarray(Image.open(next((app.EXAMPLES / "facades").glob("*.png"))).convert("RGB"))
    face = np.asarray(Image.open(next((app.EXAMPLES / "inpainting").glob("*.png"))).convert("RGB"))
    brush = np.zeros((*face.shape[:2], 4), np.uint8)
    brush[100:140, 90:170, 3] = 255
    photo = Image.open(next((app.EXAMPLES / "grayscale").glob("*.png")))

    def run(network, x):
        def go():
            with torch.inference_mode():
                network(x)
        return go

    return [
        Case("U-Net G: one 256x256 translation", run(model, x256), baseline=run(model, x128),
             baseline_name="one 128x128 translation"),
        Case("labels -> facade tab (both twins, 128 px)", lambda: app.from_drawing("facades", "")({"composite": facade})),
        Case("gray -> colour tab (both twins)", lambda: app.from_photo(photo)),
        Case("fill-the-hole tab (both twins)", lambda: app.fill_hole({"background": face, "layers": [brush]})),
    ]
