"""Colourization Space: both models on a 256x256 photo (target < 150 ms p50 each), the whole handler."""

import numpy as np
import torch
from skimage import data

from bench.harness import Case
from core.common.color import rgb_to_lab


def cases(app):
    photo = data.chelsea()[:256, :256]
    lightness = rgb_to_lab(torch.from_numpy(photo / 255.0).permute(2, 0, 1)[None].float())[:, :1]

    state = app.colorize(np.asarray(photo), 0.38)[-1]

    def run(model):
        def call():
            with torch.inference_mode():
                model.colorize(lightness)
        return call

    return [
        Case("classification model: colourize 256x256", run(app.class_model),
             baseline=run(app.l2_model), baseline_name="L2 model, same input"),
        Case("whole handler, 256x256 (both models + scores)", lambda: app.colorize(np.asarray(photo), 0.38), repeats=10),
        Case("temperature change, 256x256 (re-decode only)", lambda: app.recolor(state, 0.2), repeats=10),
    ]
