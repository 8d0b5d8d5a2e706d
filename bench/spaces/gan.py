"""GAN Space: face sampling (targets: one 64x64 sample < 30 ms, a 4x4 grid < 200 ms) and the 2-D lab."""

from bench.harness import Case, uncached


def cases(app):
    def run(steps):  # the Train button's handler: settings in LAB_SETTINGS order, then slow motion off
        settings = ("ring of 8 Gaussians", "non-saturating", "adam", 1e-3, 1e-3, 1, steps, 0.0, 0)
        return lambda: list(app.lab_train(None, *settings, False))

    return [
        Case("Style-based DCGAN: one 64x64 face", lambda: app.style.sample([3])),
        Case("Style-based DCGAN: 4x4 grid, handler (PNG-ready)", lambda: uncached(app.sample_faces)("0-15", 1.0, "Style-based DCGAN")),
        Case("Style-based DCGAN: style mixing, 6 faces", lambda: uncached(app.mix_styles)(3, 11, 0.8)),
        Case("DCGAN: one 64x64 face", lambda: app.dcgan.sample([3])),
        Case("DCGAN: 4x4 grid, handler (PNG-ready)", lambda: uncached(app.sample_faces)("0-15", 1.0, "DCGAN (baseline)")),
        Case("2-D GAN lab: 500 steps, streamed snapshots", run(500), repeats=5),
    ]
