"""GAN Space: the 2-D lab's training speed with its live snapshots."""

from bench.harness import Case


def cases(app):
    def run(steps):
        return lambda: list(app.run_lab("ring of 8 Gaussians", "non-saturating", 1e-3, 1e-3, 1, steps, 0))

    return [Case("2-D GAN lab: 500 steps, 6 streamed snapshots", run(500), repeats=5)]
