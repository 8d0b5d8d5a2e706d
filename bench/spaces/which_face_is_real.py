"""Quiz Space: a new round (fake made live or drawn from the pool, D's verdict, two PNGs) and a guess."""

import tempfile
from pathlib import Path

from bench.harness import Case
from core.which_face_is_real.stats import AnswerLog


def cases(app):
    app.answers = AnswerLog(Path(tempfile.mkdtemp()) / "bench.sqlite")  # never count bench answers as players'
    def round_then_guess(difficulty):
        def play():
            game = app.new_game(difficulty, 1.0, None)[0]
            app.guess(game, "left")
        return play

    return [
        Case("new round, our GAN (64x64)", lambda: app.new_game(app.OUR_GAN, 1.0, None)),
        Case(f"new round, our diffusion model ({app.DIFFUSION_STEPS} DDIM steps)",
             lambda: app.new_game(app.DIFFUSION, 1.0, None), repeats=5),
        Case("new round, NVIDIA StyleGAN pool (256x256)", lambda: app.new_game(app.STYLEGAN, 1.0, None)),
        Case("round + guess (answer written to SQLite)", round_then_guess(app.OUR_GAN)),
    ]
