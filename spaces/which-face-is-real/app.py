"""Which face is real? One real face, one generated; click the real one. Can you beat the discriminator?"""

import os
import secrets
from pathlib import Path

import gradio as gr
import torch
from gradio.utils import get_upload_folder

from core.common import edge
from core.common.data import image_source
from core.common.display import weights_note
from core.diffusion.model import DiffusionModel, sample_images
from core.gan.dcgan import DCGANDiscriminator, DCGANGenerator
from core.hub import load_pretrained
from core.which_face_is_real.evidence import TIPS, fake_evidence, overlay, strongest_region
from core.which_face_is_real.game import (
    LABELS,
    ROUNDS_PER_GAME,
    Game,
    RoundMaker,
    judge_accuracy,
    judge_verdict,
)
from core.which_face_is_real.stats import AnswerLog

# Our fakes come from the DCGAN, the better of our two face GANs by the face judge (bench.gan_realism: dlib
# finds a face in 97% of its samples, 2% of the StyleGAN2-style one's), with its own discriminator as the judge.
GENERATOR_REPO, DISCRIMINATOR_REPO = "manifold-lab/dcgan-faces", "manifold-lab/dcgan-faces-discriminator"
# The diffusion Space's face DDPM: by the same judge, the nearest of all our models to real faces.
DIFFUSION_REPO, DIFFUSION_STEPS = "manifold-lab/faces-diffusion", 25
FACES = Path(__file__).parent / "faces"
OUR_GAN, DIFFUSION, STYLEGAN = "Our GAN (easier)", "Our diffusion model", "NVIDIA StyleGAN (hard)"
DIFFICULTIES = (OUR_GAN, DIFFUSION, STYLEGAN)
# Both faces are enlarged the same way by the browser; 'pixelated' keeps 64x64 pixels sharp, not smeared.
CSS = ".quiz-face img { width: 100% !important; height: 100% !important; object-fit: contain; image-rendering: pixelated; }"

DESCRIPTION = f"""# 🕵️ Which face is real?
Each round shows two faces, **A** and **B**: one is a photo from FFHQ, the other was generated. Pick the
real one. After each guess, see where the GAN's discriminator found a fake, and what to look for there.
**{OUR_GAN}**: our DCGAN, trained here on 900 faces for 39,200 steps on a CPU, shown at its 64x64.
**{DIFFUSION}**: our face DDPM (the **Diffusion** Space's), trained on the same faces, {DIFFUSION_STEPS} DDIM steps
per face: no discriminator was ever trained against it, so the GAN's discriminator meets its faces as strangers.
**{STYLEGAN}**: faces from NVIDIA's StyleGAN, shown at 256x256. Both faces of a round always have the same size
and go through the same pipeline, so only the picture can give it away. After {ROUNDS_PER_GAME} rounds,
see how you did against everyone else, and against the GAN's own discriminator."""

generator, generator_source = load_pretrained(DCGANGenerator, GENERATOR_REPO)
discriminator, discriminator_source = load_pretrained(DCGANDiscriminator, DISCRIMINATOR_REPO)
diffusion, diffusion_source = load_pretrained(DiffusionModel, DIFFUSION_REPO)
real_source = image_source(os.environ.get("MANIFOLD_QUIZ_REAL_FACES", str(FACES / "real")))
real_faces = [real_source.load(i) for i in range(len(real_source))]
stylegan_source = image_source(str(FACES / "stylegan"))
stylegan_pool = [stylegan_source.load(i) for i in range(len(stylegan_source))]  # decoded once, not per round
POOL_SIZES = {"real": len(real_faces), "stylegan": len(stylegan_pool)}
# Round files go straight into Gradio's cache: served as they are, under random names, and expired by it.
rounds = RoundMaker(real_faces, discriminator, Path(get_upload_folder()) / "which-face-rounds")
# On a Space with persistent storage, /data keeps the statistics across restarts; MANIFOLD_QUIZ_DB overrides.
default_db = Path("/data") if os.access("/data", os.W_OK) else Path.home() / ".cache" / "manifold-lab"
answers = AnswerLog(os.environ.get("MANIFOLD_QUIZ_DB", default_db / "which-face-is-real.sqlite"))


@torch.inference_mode()
def make_round(game, truncation):
    if game.difficulty == STYLEGAN:
        return rounds.make(game, stylegan_pool[game.draw("stylegan", len(stylegan_pool), rounds.random)], size=256)
    if game.difficulty == DIFFUSION:
        fake = diffusion_faces([secrets.randbelow(2**31)])[0]
        return rounds.make(game, fake, size=diffusion.image_size)
    fake = generator.sample([secrets.randbelow(2**31)], truncation=float(truncation))[0]
    return rounds.make(game, fake, size=generator.image_size)


def diffusion_faces(seeds):
    """(B, 3, S, S) in [0, 1]: one deterministic DDIM walk per seed."""
    return sample_images(diffusion, seeds, steps=DIFFUSION_STEPS)


def score_line(game):
    return f"**Round {min(game.rounds_played + 1, ROUNDS_PER_GAME)} of {ROUNDS_PER_GAME}** · score {game.score} · " \
           f"streak {game.streak} (best {game.best_streak})"


def new_game(difficulty, truncation, stored_player):
    edge.choice(difficulty, "Difficulty", DIFFICULTIES)
    edge.number(truncation, "Truncation ψ", 0.3, 1.0)
    player = answers.player_id(stored_player)
    game = Game(difficulty=difficulty, player=player, seen_before=answers.shown_to(player))
    return *show_round(game, truncation), player


def show_round(game, truncation):
    if game is None:
        raise gr.Error("Start a game first.")
    if game.over:
        raise gr.Error("This game is over: start a new one.")
    before = set(game.shown)
    current = game.start_round(lambda: make_round(game, truncation))
    if game.shown != before:
        answers.mark_shown(game.player, game.shown - before, POOL_SIZES)
    return (game, str(current.left), str(current.right), score_line(game), "Which one is the photo, A or B?",
            None, "", *buttons(guessing=True))


def buttons(guessing: bool, over: bool = False):
    """While a pair is open: the two guesses; after a guess: the next pair (none once the game is over)."""
    return gr.update(interactive=guessing), gr.update(interactive=guessing), gr.update(interactive=not guessing and not over)


def guess(game, side):
    if game is None:
        raise gr.Error("Start a game first.")
    current = game.current
    outcome = game.guess(side)  # a ValueError (no open round) reaches the player as a message
    answers.record(game.game_id, game.rounds_played, game.difficulty, outcome.correct, outcome.discriminator_correct)
    fake_side = "right" if outcome.real_side == "left" else "left"
    evidence = fake_evidence(discriminator, list(current.pixels))  # only now: the answer is out
    region = strongest_region(evidence[0 if fake_side == "left" else 1])
    verdict = "✅ Right" if outcome.correct else "❌ Wrong"
    text = (f"{verdict}: the real photo was **{LABELS[outcome.real_side]}**. The discriminator "
            f"{'got it too' if outcome.discriminator_correct else 'was fooled'}. In red, where it sees a fake: "
            f"blurring those spots makes a face look more real to it. On the fake ({LABELS[fake_side]}) it points "
            f"most at the **{region}**.\n\n💡 {TIPS[region]}")
    return (game, score_line(game), text, overlay(list(current.pixels), evidence),
            summary(game) if outcome.game_over else "", *buttons(guessing=False, over=outcome.game_over))


JUDGE_PAIRS = {OUR_GAN: 100, DIFFUSION: 32, STYLEGAN: 100}  # 32 diffusion faces: 25 network calls each
JUDGE_NAMES = {OUR_GAN: "our GAN's fakes", DIFFUSION: "our diffusion model's", STYLEGAN: "NVIDIA's"}


@edge.remember(maxsize=1)
@torch.inference_mode()
def judge_record() -> dict[str, float]:
    """How good a judge the discriminator is, on JUDGE_PAIRS pairs of each kind: measured once, for these weights,
    by the first caller; players who finish meanwhile wait for that one measurement (remember is single-flight)."""
    fakes = list(generator.sample(list(range(10_000, 10_000 + JUDGE_PAIRS[OUR_GAN])), truncation=1.0))
    diffused = list(diffusion_faces(list(range(10_000, 10_000 + JUDGE_PAIRS[DIFFUSION]))))
    return {OUR_GAN: judge_accuracy(discriminator, real_faces, fakes),
            DIFFUSION: judge_accuracy(discriminator, real_faces, diffused),
            STYLEGAN: judge_accuracy(discriminator, real_faces, stylegan_pool[: JUDGE_PAIRS[STYLEGAN]])}


def measure_judge():
    judge_record()  # ~15 s once, on the first visit, so it is ready by the first game's end


def summary(game):
    everyone, judge = answers.aggregate(game.difficulty), judge_record()
    return f"""### Game over: {game.score} of {ROUNDS_PER_GAME} ({game.score / ROUNDS_PER_GAME:.0%})
| | accuracy |
|---|---|
| you | {game.score / ROUNDS_PER_GAME:.0%} |
| chance (a coin flip) | 50% |
| all players so far ({everyone.answers} answers, {everyone.games} games, {game.difficulty}) | {everyone.accuracy:.0%} |
| the GAN's discriminator, on your {ROUNDS_PER_GAME} pairs | {game.discriminator_score / ROUNDS_PER_GAME:.0%} |

{"You beat the discriminator!" if game.score > game.discriminator_score else "The discriminator did at least as well as you."}
{judge_verdict(judge, JUDGE_PAIRS, OUR_GAN, JUDGE_NAMES)}"""


with gr.Blocks(title="Which face is real?") as demo:  # served faces expire (core.common.edge.CACHE_EXPIRY)
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note({"generator": generator_source, "discriminator": discriminator_source,
                              "diffusion model": diffusion_source}))
    game = gr.State(None)
    player = gr.BrowserState(None, storage_key="manifold-lab-which-face-player")  # a random id, nothing else
    with gr.Row():
        difficulty = gr.Radio(list(DIFFICULTIES), value=OUR_GAN, label="Difficulty")
        truncation = gr.Slider(0.3, 1.0, 1.0, step=0.05, label="Truncation ψ (our GAN)",
                               info="lower: more 'average' faces (this DCGAN's also get blurrier)")
        start = gr.Button("New game", variant="primary")
    score = gr.Markdown()
    with gr.Row(equal_height=True):
        left = gr.Image(label="A", format="png", interactive=False, height=320, buttons=[], elem_classes="quiz-face")
        right = gr.Image(label="B", format="png", interactive=False, height=320, buttons=[], elem_classes="quiz-face")
    with gr.Row():
        left_real = gr.Button("A is real", interactive=False)
        right_real = gr.Button("B is real", interactive=False)
    result = gr.Markdown()
    evidence = gr.Image(label="where the discriminator sees a fake (red): A | B", format="png", interactive=False,
                        buttons=[], height=220)
    next_pair = gr.Button("Next pair", interactive=False)
    summary_box = gr.Markdown()

    round_outputs = [game, left, right, score, result, evidence, summary_box, left_real, right_real, next_pair]
    start.click(new_game, [difficulty, truncation, player], [*round_outputs, player], api_name="new_game")
    next_pair.click(show_round, [game, truncation], round_outputs, api_name="next_round")
    for button, image, side in ((left_real, left, "left"), (right_real, right, "right")):
        gr.on([button.click, image.select], lambda state, side=side: guess(state, side), game,
              [game, score, result, evidence, summary_box, left_real, right_real, next_pair], api_name=f"guess_{side}",
              concurrency_limit=2)
    demo.load(measure_judge, None, None, show_progress="hidden", api_name=False)

if __name__ == "__main__":
    edge.launch(demo, css=CSS)
