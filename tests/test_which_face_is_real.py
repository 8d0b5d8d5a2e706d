"""'Which face is real?': rounds carry no hint of the answer, scoring is server-side and replay-proof,
answers survive restarts and concurrent players."""

import threading
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from core.gan.stylegan import StyleGANDiscriminator
from core.which_face_is_real.game import ROUNDS_PER_GAME, SIDES, Game, RoundMaker, face_array, judge_verdict
from core.which_face_is_real.stats import AnswerLog
from spaces.registry import discover, load_app_module


def tiny_maker(tmp_path, count=12):
    torch.manual_seed(0)
    faces = [Image.new("RGB", (256, 256), (20 * i, 100, 255 - 20 * i)) for i in range(count)]
    discriminator = StyleGANDiscriminator(image_size=16, channel_base=64, max_channels=16).eval()
    return RoundMaker(faces, discriminator, tmp_path / "rounds")


def fake_face():
    return torch.rand(3, 16, 16)


def test_both_faces_of_a_round_look_alike_on_the_wire(tmp_path):
    maker = tiny_maker(tmp_path)
    game = Game(difficulty="test")
    current = maker.make(game, fake_face(), size=64)
    left, right = current.left, current.right
    assert left.stat().st_size == right.stat().st_size  # uncompressed PNG: size follows the dimensions only
    assert left.suffix == right.suffix == ".png" and len(left.stem) == len(right.stem) == 24
    assert left.parent == right.parent and left.stem != right.stem and len(left.parent.name) == 32
    for path in (left, right):
        image = Image.open(path)
        assert image.format == "PNG" and image.size == (64, 64) and image.mode == "RGB"
        assert not image.info.get("exif") and not image.getexif() and set(image.info) <= {"dpi"}
        assert not image.text if hasattr(image, "text") else True


def test_sides_are_random_and_no_real_face_repeats_in_a_game(tmp_path):
    maker = tiny_maker(tmp_path, count=ROUNDS_PER_GAME)
    game = Game(difficulty="test")
    sides = []
    for _ in range(ROUNDS_PER_GAME):
        game.start_round(lambda: maker.make(game, fake_face(), size=32))
        sides.append(game.current.real_side)
        game.guess("left")
    assert set(sides) == set(SIDES)  # 10 rounds all on one side: 2 in 1,024
    assert len({key for key in game.shown if key.startswith("real:")}) == ROUNDS_PER_GAME
    folders = list((tmp_path / "rounds").iterdir())  # one fresh folder per round: earlier ones were removed
    assert len(folders) == 1 and len(list(folders[0].iterdir())) == 2


def test_a_round_is_scored_once_and_cannot_be_rerolled(tmp_path):
    maker = tiny_maker(tmp_path)
    game = Game(difficulty="test")
    with pytest.raises(ValueError, match="no open round"):
        game.guess("left")
    first = game.start_round(lambda: maker.make(game, fake_face(), size=32))
    assert game.start_round(lambda: maker.make(game, fake_face(), size=32)) is first  # asking again: same pair
    outcome = game.guess(first.real_side)
    assert outcome.correct and game.score == 1 and game.streak == 1
    with pytest.raises(ValueError, match="no open round"):
        game.guess(first.real_side)  # replaying the right answer scores nothing
    assert game.score == 1 and game.rounds_played == 1
    with pytest.raises(ValueError, match="'left' or 'right'"):
        game.guess("both")


def test_a_game_ends_after_its_rounds(tmp_path):
    maker = tiny_maker(tmp_path)
    game = Game(difficulty="test")
    for _ in range(ROUNDS_PER_GAME):
        game.guess(SIDES[1 - SIDES.index(game.start_round(lambda: maker.make(game, fake_face(), 32)).real_side)])
    assert game.over and game.score == 0 and game.best_streak == 0
    with pytest.raises(ValueError, match="game is over"):
        game.start_round(lambda: maker.make(game, fake_face(), 32))


def test_face_array_brings_every_input_to_the_same_pipeline():
    assert face_array(Image.new("RGBA", (256, 256)), 64).shape == (64, 64, 3)
    assert face_array(np.zeros((64, 64, 3), np.uint8), 256).shape == (256, 256, 3)
    pixels = face_array(torch.ones(3, 64, 64), 64)
    assert pixels.dtype == np.uint8 and (pixels == 255).all()


def test_answers_survive_a_restart_and_a_replay_counts_once(tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite")
    log.record("game-a", 1, "easy", True, False)
    log.record("game-a", 1, "easy", True, False)  # the same answer replayed
    log.record("game-a", 2, "easy", False, True)
    log.record("game-b", 1, "hard", True, True)
    reopened = AnswerLog(tmp_path / "answers.sqlite")
    easy = reopened.aggregate("easy")
    assert (easy.answers, easy.correct, easy.discriminator_correct, easy.games) == (2, 1, 1, 1)
    assert easy.accuracy == 0.5 and reopened.aggregate().answers == 3
    assert AnswerLog(tmp_path / "empty.sqlite").aggregate().accuracy is None


# -- the Space ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quiz_url(served_spaces):
    return f"{served_spaces.url}/which-face-is-real/"


def test_round_payloads_and_api_responses_carry_no_hint(quiz_url):
    import httpx
    from gradio_client import Client

    client = Client(quiz_url, verbose=False)
    app = load_app_module(next(s for s in discover() if s.name == "which-face-is-real"))
    for difficulty, size in ((app.OUR_GAN, 64), (app.DIFFUSION, app.diffusion.image_size), (app.STYLEGAN, 256)):
        left, right, score, prompt, evidence, summary, *buttons, player = client.predict(
            difficulty, 1.0, None, api_name="/new_game")
        images = [Image.open(path) for path in (left, right)]
        assert [im.size for im in images] == [(size, size)] * 2 and {im.format for im in images} == {"PNG"}
        assert all(set(im.info) <= {"dpi"} for im in images)
        assert Path(left).stat().st_size == Path(right).stat().st_size
        assert "Round 1 of 10" in score and summary == "" and evidence is None  # no evidence before the guess
    # The raw event stream of a round: no state, no side, no source file names.
    events = httpx.post(f"{quiz_url}gradio_api/call/new_game", json={"data": [app.OUR_GAN, 1.0, None]}).json()
    stream = httpx.get(f"{quiz_url}gradio_api/call/new_game/{events['event_id']}").text
    assert "complete" in stream
    for secret in ("real_side", "discriminator_side", "left\"", "right\"", ".jpg", "real", "fake", "stylegan"):
        assert secret not in stream.lower().replace("which-face-is-real", ""), secret


def test_the_api_cannot_replay_a_guess(quiz_url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(quiz_url, verbose=False)
    client.predict("Our GAN (easier)", 1.0, None, api_name="/new_game")
    score, result, evidence, _, *buttons = client.predict(api_name="/guess_left")
    assert "Round 2 of 10" in score and "the real photo was **" in result and "💡" in result
    assert Image.open(evidence).size == (2 * 192 + 8, 192)  # both faces, the judge's evidence in red
    with pytest.raises(AppError, match="no open round"):
        client.predict(api_name="/guess_left")
    with pytest.raises(AppError, match="no open round"):
        client.predict(api_name="/guess_right")
    left, right, score, prompt, *_ = client.predict(1.0, api_name="/next_round")
    again = client.predict(1.0, api_name="/next_round")  # asking twice gives the same pair
    assert Path(left).read_bytes() == Path(again[0]).read_bytes() and "Round 2 of 10" in again[2]


PLAYERS = 8  # at once, each a whole game; the 30-client load is bench.class_load


def test_concurrent_players_lose_no_answers(quiz_url):
    from gradio_client import Client

    app = load_app_module(next(s for s in discover() if s.name == "which-face-is-real"))
    before = app.answers.aggregate().answers
    summaries, errors = [], []

    def play(index):
        try:
            client = Client(quiz_url, verbose=False)
            client.predict(app.OUR_GAN, 1.0, None, api_name="/new_game")
            for round_number in range(ROUNDS_PER_GAME):
                _, _, _, summary, *_ = client.predict(api_name="/guess_left" if index % 2 else "/guess_right")
                if round_number < ROUNDS_PER_GAME - 1:
                    client.predict(1.0, api_name="/next_round")
            summaries.append(summary)
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(repr(error))

    players = [threading.Thread(target=play, args=(i,)) for i in range(PLAYERS)]
    for player in players:
        player.start()
    for player in players:
        player.join(180)
    assert not errors, errors[:3]
    assert len(summaries) == PLAYERS and all("Game over" in s and "all players so far" in s for s in summaries)
    assert app.answers.aggregate().answers - before == PLAYERS * ROUNDS_PER_GAME


def test_next_pair_is_offered_only_between_rounds_and_not_after_the_game():
    app = load_app_module(next(s for s in discover() if s.name == "which-face-is-real"))
    game, *_, guess_left, guess_right, next_pair, player = app.new_game(app.OUR_GAN, 1.0, None)
    assert guess_left["interactive"] and guess_right["interactive"] and not next_pair["interactive"]
    for round_number in range(ROUNDS_PER_GAME):
        if round_number:
            app.show_round(game, 1.0)
        *_, guess_left, guess_right, next_pair = app.guess(game, "right")
        assert not guess_left["interactive"] and not guess_right["interactive"]
        assert next_pair["interactive"] == (round_number < ROUNDS_PER_GAME - 1)
    with pytest.raises(gr.Error, match="game is over"):
        app.show_round(game, 1.0)


class DetailHater(torch.nn.Module):
    """A toy judge: the less fine detail (high-pass energy), the more real; its evidence is known in advance."""

    image_size = 64

    def forward(self, images):
        detail = images - torch.nn.functional.avg_pool2d(images, 3, 1, 1, count_include_pad=False)
        return -detail.abs().mean(dim=(1, 2, 3))


@pytest.mark.parametrize("region", ["mouth", "eyes", "background"])
def test_the_evidence_map_points_where_the_fake_detail_is(region):
    from core.which_face_is_real.evidence import fake_evidence, region_masks, strongest_region

    rng = np.random.default_rng(0)
    face = np.full((64, 64, 3), 128, np.uint8)
    noisy = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    inside = region_masks(64)[region]
    face[inside] = noisy[inside]
    clean = np.full((64, 64, 3), 128, np.uint8)
    evidence = fake_evidence(DetailHater(), [clean, face])
    assert evidence.shape == (2, 64, 64) and evidence.min() >= 0
    assert evidence[0].max() < 1e-6 < evidence[1].max()  # nothing to blur away on a flat face
    assert strongest_region(evidence[1]) == region


def test_the_overlay_shows_both_faces_on_one_scale():
    from core.which_face_is_real.evidence import overlay

    faces = [np.full((64, 64, 3), 200, np.uint8)] * 2
    heat = np.zeros((2, 64, 64))
    heat[1, 20:40, 20:40] = 1.0
    image = overlay(faces, heat)
    assert image.shape == (192, 2 * 192 + 8, 3) and image.dtype == np.uint8
    left, right = image[:, :192].astype(int), image[:, 200:].astype(int)
    assert (left[..., 0] - left[..., 1]).max() <= 1  # no evidence: gray
    assert (right[96, 96, 0] - right[96, 96, 1]) > 100  # the hot spot: red


def test_the_judge_verdict_follows_the_measured_numbers():
    pairs = {"own": 100, "diffusion": 32, "nvidia": 100}
    names = {"own": "our GAN's fakes", "diffusion": "our diffusion model's", "nvidia": "NVIDIA's"}
    mixed = judge_verdict({"own": 0.95, "diffusion": 0.97, "nvidia": 0.66}, pairs, "own", names)
    assert "**95%** of the time against our GAN's fakes (100 pairs)" in mixed
    assert "**97%** against our diffusion model's (32 pairs)" in mixed
    assert "Against NVIDIA's it is a much weaker judge" in mixed and "diffusion model's it is" not in mixed
    both = judge_verdict({"own": 0.98, "diffusion": 0.37, "nvidia": 0.48}, pairs, "own", names)
    assert "Against our diffusion model's and NVIDIA's it is a much weaker judge" in both
    neither = judge_verdict({"own": 0.9, "diffusion": 0.85, "nvidia": 0.95}, pairs, "own", names)
    assert "weaker" not in neither and "about as often as its own" in neither
