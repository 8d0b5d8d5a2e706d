"""Which face is real? One real face, one generated; click the real one. Can you beat the discriminator?"""

import threading
from pathlib import Path

import gradio as gr
import torch

from core.common import edge
from core.common.display import weights_note
from core.common.gradio_patches import upload_folder
from core.gan.dcgan import DCGANDiscriminator
from core.hub import load_pretrained
from core.which_face_is_real.evidence import EVIDENCE_FILE, SCORES_FILE, TIPS, EvidenceCache, explain_fake
from core.which_face_is_real.game import (
    LABELS,
    ROUNDS_PER_GAME,
    SIDES,
    Game,
    RoundMaker,
    judge_accuracy,
    judge_verdict,
    stored_judge_accuracy,
    write_png,
)
from core.which_face_is_real.pools import load_pool
from core.which_face_is_real.stats import AnswerLog, store_path

# The easy level's generator, whose fakes fill faces/our-gan (build_pools.py's EASY_GENERATOR names the same: change
# both, then rebuild that pool), and the discriminator that judges every level: the GAN's own.
GENERATOR_REPO, DISCRIMINATOR_REPO = "manifold-lab/style-dcgan-faces", "manifold-lab/style-dcgan-faces-discriminator"
FACES = Path(__file__).parent / "faces"
OUR_GAN, DIFFUSION, STYLEGAN = "Our GAN (easier)", "Our diffusion model", "NVIDIA StyleGAN (hard)"
DIFFICULTIES = (OUR_GAN, DIFFUSION, STYLEGAN)
POOL_FOLDERS = {OUR_GAN: "our-gan", DIFFUSION: "diffusion", STYLEGAN: "stylegan"}
# Both faces are enlarged the same way by the browser; 'pixelated' keeps 64x64 pixels sharp, not smeared.
CSS = (".quiz-face img { width: 100% !important; height: 100% !important; object-fit: contain; "
       "image-rendering: pixelated; } .class-code { font: 700 5rem monospace; letter-spacing: .3em; text-align: center; }")

DESCRIPTION = f"""# 🕵️ Which face is real?
Each round shows two faces, **A** and **B**: one is a photo from FFHQ, the other was generated. Pick the
real one. After each guess, see where the GAN's discriminator found a fake, and what to look for there.
**{OUR_GAN}**: our style-based DCGAN (the **GANs** Space's faces), trained here on 9,700 FFHQ and CelebA faces for
18,000 steps on a CPU, shown at its 64x64.
**{DIFFUSION}**: our face DDPM (the **Diffusion** Space's), trained on the same faces, 25 DDIM steps per face:
no discriminator was ever trained against it, so the GAN's discriminator meets its faces as strangers.
**{STYLEGAN}**: NVIDIA's StyleGAN, 256x256, each fake beside the real photo most like it in colour, brightness,
background clutter and detail. Every level's fakes come from a fixed pool as large as its real photos' (made ahead, see
the README), so a face you have seen before says nothing. After {ROUNDS_PER_GAME} rounds, see how you did against
your class, everyone else, and the GAN's own discriminator. Teachers: start a class below."""
# The same for every round and every player: it says where to look, never which face is real.
NOTICE = """**What to notice:** after each guess, the red on the fake marks where the discriminator finds it least
like a photo (blurring there makes it look more real to the discriminator); look at those parts first in the next
pair. At the end, compare your score with the discriminator's, and its record across the levels: it catches its own
GAN's fakes far more often than NVIDIA's, because a discriminator learns one generator's mistakes, not what makes a
face fake."""

discriminator, discriminator_source = load_pretrained(DCGANDiscriminator, DISCRIMINATOR_REPO)
pools = {level: load_pool(FACES / folder) for level, folder in POOL_FOLDERS.items()}  # decoded once
pools[OUR_GAN].require_generator(GENERATOR_REPO)
POOL_SIZES = {kind: size for pool in pools.values() for kind, size in pool.kinds.items()}
# Round files go straight into Gradio's cache: served as they are, under random names, and expired by it.
rounds = RoundMaker(discriminator, upload_folder() / "which-face-rounds")
# every fake comes from a fixed pool: its evidence map is made ahead (`python -m core.which_face_is_real.evidence`,
# beside each pool), else computed the first time it is shown, then kept
evidence_maps = EvidenceCache(discriminator, max_faces=sum(len(pool.fake) for pool in pools.values()))
for folder in POOL_FOLDERS.values():
    evidence_maps.load(FACES / folder / EVIDENCE_FILE)
    rounds.load_scores(FACES / folder / SCORES_FILE)  # every face's score, so a round calls no discriminator
answers = AnswerLog(store_path())  # MANIFOLD_QUIZ_DB, else /data (persistent storage), else ~/.cache


def score_line(game):
    return f"**Round {min(game.rounds_played + 1, ROUNDS_PER_GAME)} of {ROUNDS_PER_GAME}** · score {game.score} · " \
           f"streak {game.streak} (best {game.best_streak})"


def class_note(code):
    return f"🏫 Class **{code}**: your answers count for your class too." if code else ""


def new_game(difficulty, class_text, stored_player):
    edge.choice(difficulty, "Difficulty", DIFFICULTIES)
    class_code = answers.class_code(edge.text(class_text or "", "Class code", 20))  # unknown: refused, with why
    player = answers.player_id(stored_player)
    game = Game(difficulty=difficulty, player=player, seen_before=answers.shown_to(player), class_code=class_code)
    return *show_round(game), class_note(class_code), player


def show_round(game):
    if game is None:
        raise gr.Error("Start a game first.")
    if game.over:
        raise gr.Error("This game is over: start a new one.")
    pool, before = pools[game.difficulty], set(game.shown)
    current = game.start_round(lambda: rounds.make(*pool.draw(game, rounds.random), size=pool.size))
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
    answers.record(game.game_id, game.rounds_played, game.difficulty, outcome.correct, outcome.discriminator_correct,
                   game.class_code)
    fake = 1 - SIDES.index(outcome.real_side)
    picture, region = explain_fake(discriminator, list(current.pixels), fake, evidence_maps)  # only now: the answer is out
    picture = str(write_png(picture, current.left.parent))  # beside the round's faces, unpacked: Gradio's PNG took 25 ms
    text = (f"{'✅ Right' if outcome.correct else '❌ Wrong'}: the real photo was **{LABELS[outcome.real_side]}**. The "
            f"discriminator {'got it too' if outcome.discriminator_correct else 'was fooled'}. In red, on the fake "
            f"({LABELS[SIDES[fake]]}) only: where it sees a fake (blurring those spots makes the face look more real "
            f"to it). It points most at the **{region}**.\n\n💡 {TIPS[region]}")
    return (game, score_line(game), text, picture, summary(game) if outcome.game_over else "",
            *buttons(guessing=False, over=outcome.game_over))


JUDGE_PAIRS = {level: len(pool.real) for level, pool in pools.items()}
JUDGE_NAMES = {OUR_GAN: "our GAN's fakes", DIFFUSION: "our diffusion model's", STYLEGAN: "NVIDIA's"}


@edge.remember(maxsize=1)
@torch.inference_mode()
def judge_record() -> dict[str, float]:
    """How good a judge the discriminator is on each level's whole pool (pairs real i, fake i): read from the
    pool's made-ahead scores (running D over the 1,200 faces took 2 CPU-s, as a class arrived), else measured
    once, by the first caller; players who finish meanwhile wait for that one measurement (single-flight)."""
    record = {}
    for level, pool in pools.items():
        stored = stored_judge_accuracy(FACES / POOL_FOLDERS[level] / SCORES_FILE, discriminator, pool.real, pool.fake)
        record[level] = stored if stored is not None else judge_accuracy(discriminator, pool.real, pool.fake)
    return record


_judging = threading.Lock()


def measure_judge() -> None:
    """On the first page view, the judge's record is read (or, without made-ahead scores, measured: a second or
    two) in the background, once: ready by the first game's end, and no page view waits for it."""
    if _judging.acquire(blocking=False):  # once per process; never released
        threading.Thread(target=judge_record, name="quiz-judge", daemon=True).start()


def accuracy_row(label, aggregate):
    accuracy = f"{aggregate.accuracy:.0%}" if aggregate.answers else "–"
    return f"| {label} ({aggregate.answers} answers, {aggregate.games} games) | {accuracy} |"


def summary(game):
    mine = game.score / ROUNDS_PER_GAME
    rows = [f"| you | {mine:.0%} |", "| chance (a coin flip) | 50% |"]
    if game.class_code:
        rows.append(accuracy_row(f"your class {game.class_code}", answers.aggregate(game.difficulty, game.class_code)))
    rows += [accuracy_row(f"all players so far, {game.difficulty}", answers.aggregate(game.difficulty)),
             f"| the GAN's discriminator, on your {ROUNDS_PER_GAME} pairs | {game.discriminator_score / ROUNDS_PER_GAME:.0%} |"]
    beat = "You beat the discriminator!" if game.score > game.discriminator_score else \
        "The discriminator did at least as well as you."
    return (f"### Game over: {game.score} of {ROUNDS_PER_GAME} ({mine:.0%})\n| | accuracy |\n|---|---|\n"
            + "\n".join(rows) + f"\n\n{beat}\n{judge_verdict(judge_record(), JUDGE_PAIRS, OUR_GAN, JUDGE_NAMES)}")


def start_class():
    code = answers.start_class()
    banner = (f"<div class='class-code'>{code}</div><p style='text-align:center'>Students: type <b>{code}</b> "
              f"in the class box, or open this page's address, which now ends in <code>?class={code}</code>.</p>")
    return code, banner, class_note(code)


def join_class(class_text):
    return class_note(answers.class_code(edge.text(class_text or "", "Class code", 20)))


def class_results(class_text):
    code = answers.class_code(edge.text(class_text or "", "Class code", 20))
    if code is None:
        raise gr.Error("Enter your class's code first (or start a class).")
    rows = [accuracy_row(f"class {code}, {level}", answers.aggregate(level, code)) for level in DIFFICULTIES]
    rows += [accuracy_row(f"all players, {level}", answers.aggregate(level)) for level in DIFFICULTIES]
    return "| | accuracy |\n|---|---|\n" + "\n".join(rows)


def read_class_link(request: gr.Request):
    """?class=CODE puts the code in the class box; the note says at once whether such a class exists. (The page's
    one load event: thirty students open it at once.)"""
    measure_judge()
    text = (dict(request.query_params).get("class", "") if request else "")[:20]
    try:
        return text, class_note(answers.class_code(text))
    except ValueError as error:
        return text, f"⚠️ {error}"


WRITE_LINK = """(code) => {
  const url = new URL(window.location.href); url.searchParams.set("class", code);
  window.history.replaceState(null, "", url);
}"""

with gr.Blocks(title="Which face is real?") as demo:  # served faces expire (core.common.edge.CACHE_EXPIRY)
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note({"discriminator": discriminator_source}))
    game = gr.State(None)
    player = gr.BrowserState(None, storage_key="manifold-lab-which-face-player")  # a random id, nothing else
    with gr.Row():
        difficulty = gr.Radio(list(DIFFICULTIES), value=OUR_GAN, label="Difficulty")
        class_box = gr.Textbox(label="Class code (optional)", placeholder="e.g. K7QX3", max_length=20, max_lines=1)
        start = gr.Button("New game", variant="primary")
    joined = gr.Markdown()
    score = gr.Markdown()
    with gr.Row(equal_height=True):
        left = gr.Image(label="A", format="png", interactive=False, height=320, buttons=[], elem_classes="quiz-face")
        right = gr.Image(label="B", format="png", interactive=False, height=320, buttons=[], elem_classes="quiz-face")
    with gr.Row():
        left_real = gr.Button("A is real", interactive=False)
        right_real = gr.Button("B is real", interactive=False)
    result = gr.Markdown()
    evidence = gr.Image(label="where the discriminator sees a fake (red, on the fake only): A | B", format="png",
                        interactive=False, buttons=[], height=220)
    next_pair = gr.Button("Next pair", interactive=False)
    summary_box = gr.Markdown()
    gr.Markdown(NOTICE)
    with gr.Accordion("For teachers: a class", open=False):
        gr.Markdown("Start a class and show its code: every answer your students give with it counts for the class, "
                    "and each game's summary compares the player, the class and everyone.")
        with gr.Row():
            start_class_button = gr.Button("Start a class")
            results_button = gr.Button("Class results")
        banner = gr.HTML()
        class_table = gr.Markdown()

    round_outputs = [game, left, right, score, result, evidence, summary_box, left_real, right_real, next_pair]
    start.click(new_game, [difficulty, class_box, player], [*round_outputs, joined, player], api_name="new_game")
    next_pair.click(show_round, [game], round_outputs, api_name="next_round")
    for button, image, side in ((left_real, left, "left"), (right_real, right, "right")):
        gr.on([button.click, image.select], lambda state, side=side: guess(state, side), game,
              [game, score, result, evidence, summary_box, left_real, right_real, next_pair], api_name=f"guess_{side}",
              concurrency_limit=2)
    class_box.submit(join_class, class_box, joined, api_name="join_class")
    start_class_button.click(start_class, None, [class_box, banner, joined], api_name="start_class").then(
        None, class_box, None, js=WRITE_LINK)
    results_button.click(class_results, class_box, class_table, api_name="class_results")
    demo.load(read_class_link, None, [class_box, joined], api_name=False)

if __name__ == "__main__":
    edge.launch(demo, css=CSS)
