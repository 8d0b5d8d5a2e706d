"""Quiz Space: a new round (a real face and a fake drawn from the level's pools, D's verdict, two PNGs) and a guess."""

import tempfile
from pathlib import Path

from bench.harness import Case
from core.which_face_is_real.stats import AnswerLog


def cases(app):
    app.answers = AnswerLog(Path(tempfile.mkdtemp()) / "bench.sqlite")  # never count bench answers as players'

    def round_then_guess(difficulty):
        def play():
            game = app.new_game(difficulty, "", None)[0]
            app.guess(game, "left")
        return play

    return [
        Case("new round, our GAN pool (64x64)", lambda: app.new_game(app.OUR_GAN, "", None)),
        Case("new round, our diffusion model's pool (64x64)", lambda: app.new_game(app.DIFFUSION, "", None)),
        Case("new round, NVIDIA StyleGAN matched pairs (256x256)", lambda: app.new_game(app.STYLEGAN, "", None)),
        Case("round + guess (evidence on the fake, answer written to SQLite)", round_then_guess(app.OUR_GAN)),
    ]
