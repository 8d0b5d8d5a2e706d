"""Style-transfer Space: ten optimisation steps at 256 px (the unit of its cost), a whole default run, and the
one-pass tab's network (Johnson et al.) against those ten steps."""

import torch

from bench.harness import Case
from core.style_transfer.gatys import transfer


def cases(app):
    content = app.as_tensor(app.read(app.CONTENT_EXAMPLES[0], "content"))  # chelsea at 256x170
    style = app.as_tensor(app.read(app.STYLE_EXAMPLES[0], "style"))

    def steps(count):
        def run():
            for _ in transfer(app.features, content, style, steps=count):
                pass
        return run

    def whole_run():  # run() streams a new visitor's run; the shared cache is bypassed
        for _ in app.run(app.read(app.CONTENT_EXAMPLES[0], "content"), app.read(app.STYLE_EXAMPLES[0], "style"),
                         "transfer", app.DEFAULT_WEIGHT, app.DEFAULT_STEPS, None):
            pass

    @torch.no_grad()
    def forward():
        app.features(content)

    network = next(iter(app.networks))

    def one_pass():
        app.one_pass(app.CONTENT_EXAMPLES[0], network)

    return [
        Case("10 optimisation steps, 256x170 photo, Van Gogh style", steps(10), repeats=3,
             baseline=forward, baseline_name="one forward pass of the feature network"),
        Case("one pass of the painting's network (Johnson), 256x170 photo, handler", one_pass, repeats=5,
             baseline=steps(10), baseline_name="10 optimisation steps"),
        Case(f"a default run: {app.DEFAULT_STEPS} steps, streamed every {app.SHOW_EVERY}", whole_run, repeats=1),
    ]
