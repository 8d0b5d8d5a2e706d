"""Diffusion Space: 25 DDIM steps of one image (the issue's figure), handlers, and one GAN sample for scale."""

from bench.harness import Case, uncached
from core.diffusion.model import sample
from core.diffusion.text import sample_from_text


def cases(app):
    faces = app.FACE_SIZE
    return [
        Case("digits: 25 DDIM steps, one 32x32 image", lambda: sample(app.models["digits"], [0], steps=25), repeats=10,
             baseline=lambda: app.gans[app.STYLE_GAN].sample([0]), baseline_name="one style-based GAN face (1 call)"),
        Case(f"faces: 25 DDIM steps, one {faces}x{faces} image", lambda: sample(app.models["faces"], [0], steps=25), repeats=10,
             baseline=lambda: app.gans[app.STYLE_GAN].sample([0]), baseline_name="one style-based GAN face (1 call)"),
        Case("faces: 25 DDIM steps, 8 images (batched)", lambda: sample(app.models["faces"], list(range(8)), steps=25),
             repeats=5),
        Case("Generate tab: 8 digits, 25 steps, strip + GIF", lambda: uncached(app.generate)("Digits (MNIST)", "0-7", 25,
                                                                             "DDIM (deterministic)"), repeats=5),
        Case("emoji: 25 guided DDIM steps, one 32x32 image", lambda: sample_from_text(app.models["emoji"], "red heart", [0],
                                                                                    steps=25, guidance=3.0), repeats=10,
             baseline=lambda: sample_from_text(app.models["emoji"], "red heart", [0], steps=25, guidance=0.0),
             baseline_name="the same at guidance 0 (one call a step, no words)"),
        Case("Description tab: 8 emoji + the 6-scale sweep, 25 steps",
             lambda: uncached(app.from_text)("red heart", 3, "0-7", 25), repeats=3),
        Case("Denoiser tab: one step + 50-step walk from t=500", lambda: uncached(app.one_step)("Faces (FFHQ)", 3, 500, 0),
             repeats=5),
    ]
