"""GAN Space: face sampling (targets: one 64x64 sample < 30 ms, a 4x4 grid < 200 ms) and the 2-D lab."""

import sys

from bench.harness import Case, uncached
from core.gan.lab import LabConfig


def cases(app):
    lab = sys.modules[app.build_lab_tab.__module__]  # the Space's own lab module (spaces/gan/gan_lab_tab.py)

    def run(steps):  # the Train button's handler, slow motion off
        return lambda: list(lab.lab_train(None, LabConfig(steps=steps)))

    return [
        Case("Style-based DCGAN: one 64x64 face", lambda: app.style.sample([3])),
        Case("Style-based DCGAN: 4x4 grid, handler (PNG-ready)", lambda: uncached(app.sample_faces)("0-15", 1.0, "Style-based DCGAN")),
        Case("Style-based DCGAN: style mixing, 6 faces", lambda: uncached(app.mix_styles)(3, 11, 0.8)),
        Case("DCGAN: one 64x64 face", lambda: app.dcgan.sample([3])),
        Case("DCGAN: 4x4 grid, handler (PNG-ready)", lambda: uncached(app.sample_faces)("0-15", 1.0, "DCGAN (baseline)")),
        Case("2-D GAN lab: 500 steps, streamed snapshots", run(500), repeats=5),
    ]
