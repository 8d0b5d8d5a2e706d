"""The DDPM wrapper, its samplers, the recipe, and the diffusion Space's handlers."""

import re

import numpy as np
import pytest
import torch
from PIL import Image

from core.diffusion.losses import diffusion_loss
from core.diffusion.model import (
    DiffusionModel,
    add_noise,
    denoise_from,
    noise_to_level,
    predict_clean,
    sample,
    sample_images,
)
from core.hub import load_pretrained
from spaces.registry import discover, load_app_module
from train.diffusion import DiffusionRecipe, parse_args
from train.diffusion import main as train_diffusion


def tiny_model(channels=1, size=16):
    torch.manual_seed(0)
    return DiffusionModel(image_size=size, channels=channels, block_channels=(8, 16), attention_levels=(1,), norm_groups=4).eval()


class Oracle(DiffusionModel):
    """Knows the true noise: what a perfect eps-network would output for one (x0, noise) pair."""

    def forward(self, noisy, timesteps):
        return self.noise


@pytest.mark.parametrize("timestep", [0, 10, 250, 500, 900, 999])
def test_adding_noise_then_one_step_with_the_true_noise_recovers_x0(timestep):
    model = tiny_model()
    clean = torch.rand(3, 1, 16, 16) * 1.6 - 0.8
    noise = torch.randn_like(clean)
    noisy = add_noise(model, clean, noise, torch.full((3,), timestep))
    scheduler = model.scheduler("ddpm")
    assert torch.allclose(noisy, scheduler.add_noise(clean, noise, torch.full((3,), timestep)), atol=1e-6)
    scheduler.set_timesteps(model.num_train_timesteps)
    step = scheduler.step(noise, timestep, noisy, generator=torch.Generator().manual_seed(0))
    # x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t): float32 rounding grows as 1/sqrt(a_t) near t = T
    tolerance = max(1e-4, 1e-6 / float(scheduler.alphas_cumprod[timestep]) ** 0.5)
    assert torch.allclose(step.pred_original_sample, clean, atol=tolerance)
    # and the same through our own x0 read-out of the network
    oracle = Oracle(image_size=16, channels=1, block_channels=(8, 16), norm_groups=4)
    oracle.noise = noise
    assert torch.allclose(predict_clean(oracle, noisy, timestep), clean, atol=tolerance)


def test_forward_process_is_almost_clean_at_t0_and_almost_pure_noise_at_the_end():
    model = tiny_model()
    clean, noise = torch.rand(64, 1, 16, 16) * 2 - 1, torch.randn(64, 1, 16, 16)
    start = add_noise(model, clean, noise, torch.zeros(64, dtype=torch.long))
    end = add_noise(model, clean, noise, torch.full((64,), 999))
    assert (start - clean).std() < 0.01  # noise std sqrt(1 - a_0) = 0.006 of a signal in [-1, 1]
    assert torch.corrcoef(torch.stack([end.flatten(), noise.flatten()]))[0, 1] > 0.999


@pytest.mark.parametrize("size,channels", [(16, 1), (32, 3)])
def test_network_keeps_the_shape(size, channels):
    model = tiny_model(channels, size)
    x = torch.randn(2, channels, size, size)
    with torch.no_grad():
        assert model(x, torch.tensor([0, 999])).shape == x.shape
    with pytest.raises(ValueError, match="divisible"):
        DiffusionModel(image_size=30, block_channels=(8, 16, 16), norm_groups=4)


def test_samplers_are_reproducible_per_seed_and_record_the_walk():
    model = tiny_model()
    run = sample(model, [3, 7], steps=5, record=True)
    again = sample(model, [7], steps=5)
    assert len(run.samples) == len(run.predicted_x0) == len(run.timesteps) == 5
    assert run.timesteps == sorted(run.timesteps, reverse=True)
    assert torch.allclose(run.final[1], again.final[0], atol=1e-5)  # the batch does not change a seed's image
    ddpm_a, ddpm_b = (sample(model, [3], steps=5, sampler="ddpm").final for _ in range(2))
    assert torch.equal(ddpm_a, ddpm_b)
    assert run.final.min() >= -1 and run.final.max() <= 1
    with pytest.raises(ValueError, match="sampler"):
        sample(model, [0], sampler="euler")
    with pytest.raises(ValueError, match="steps"):
        sample(model, [0], steps=0)
    images = sample_images(model, [3, 7, 9], steps=5, batch_size=2)  # in [0, 1], batched without changing an image
    assert images.shape[0] == 3 and images.min() >= 0 and images.max() <= 1
    assert torch.allclose(images[:2], (run.final + 1) / 2, atol=1e-5)


def test_denoising_from_a_noise_level_walks_only_the_steps_below_it():
    model = tiny_model()
    clean = torch.zeros(1, 1, 16, 16)
    noisy = noise_to_level(model, clean, 400, seed=0)
    walk = denoise_from(model, noisy, 400, steps=20)
    assert walk.timesteps and max(walk.timesteps) <= 400 and len(walk.timesteps) < 20
    assert len(denoise_from(model, noisy, 0, steps=20).samples) == 1  # below the first step: one x0 guess


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_a_tiny_training_run_releases_and_reloads_through_the_weight_path(tmp_path, monkeypatch):
    summary = train_diffusion(["--dry_run", *TINY, "--output_dir", str(tmp_path)])
    final = tmp_path / "final"
    assert (final / "unet" / "diffusion_pytorch_model.safetensors").exists() and "DDPM" in (final / "README.md").read_text()
    assert "realism_accuracy_ddim25" in (final / "README.md").read_text()
    monkeypatch.setenv("MANIFOLD_WEIGHTS_TINY_DIFFUSION", str(final))
    model, source = load_pretrained(DiffusionModel, "manifold-lab/tiny-diffusion")
    assert source.kind == "local" and model.image_size == 16
    assert summary["step"] == 2


TINY = ["--data", "synthetic:discs", "--image_size", "16", "--block_channels", "8,16", "--attention_levels", "1",
        "--norm_groups", "4"]  # what a test trains in seconds


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_the_recipe_step_lowers_the_noise_prediction_loss():
    """40 steps of the recipe's own training_step on synthetic discs: the eps-MSE falls well below 1."""
    recipe = DiffusionRecipe(parse_args([*TINY]))
    model = recipe.build_models()["model"].train()
    data = torch.stack([recipe.build_dataset()[i] for i in range(16)])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def update(name, loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    torch.manual_seed(0)
    losses = [float(recipe.training_step({"model": model}, data, update)["loss"]) for _ in range(40)]
    assert sum(losses[-10:]) / 10 < 0.6 * sum(losses[:5]) / 5


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_the_objective_is_zero_for_a_perfect_network_and_x0_is_read_back(prediction_type):
    """A network that returns the exact target has zero loss (with or without Min-SNR), and its output read as a
    denoiser gives back the clean image, for both parametrisations."""
    model = DiffusionModel(image_size=8, channels=1, block_channels=(8,), attention_levels=(), norm_groups=4,
                           prediction_type=prediction_type)
    clean = torch.rand(4, 1, 8, 8) * 2 - 1
    torch.manual_seed(0)
    noise, t = torch.randn_like(clean), torch.randint(0, 1000, (4,))
    alpha_bar = model.alphas_cumprod[t].view(-1, 1, 1, 1)
    target = noise if prediction_type == "epsilon" else alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * clean

    def perfect(noisy, timesteps):
        return target

    for gamma in (None, 5.0):
        torch.manual_seed(0)  # the same noise and t inside the loss
        assert diffusion_loss(model, clean, gamma, network=perfect).item() == pytest.approx(0, abs=1e-10)
    noisy = add_noise(model, clean, noise, t)
    model.forward = lambda x, timesteps: target[:1]  # one sample at one level: the read-out of the true target
    assert torch.allclose(predict_clean(model, noisy[:1], int(t[0])), clean[:1].clamp(-1, 1), atol=1e-4)


# -- the Space ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app():
    return load_app_module(next(s for s in discover() if s.name == "diffusion"))


def test_space_generates_and_shows_the_walk(app):
    grid, strip, animation, note = app.generate("Digits (MNIST)", "0-3", 10, "DDIM (deterministic)")
    assert grid.size == (4 * 96 + 3 * 2, 96) and "10 DDIM steps" in note
    assert strip.size[1] == 2 * 96 + 2  # x_t row and predicted-x0 row
    with Image.open(animation) as gif:
        assert gif.n_frames == 10  # one frame per step (identical neighbours would be merged)
    grid, *_ = app.generate("Faces (FFHQ)", "5", 3, "DDPM (ancestral, fresh noise each step)")
    assert grid.mode == "RGB"


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_space_one_step_against_the_walk_and_versus_gan(app):
    row, strip, note = app.one_step("Faces (FFHQ)", 2, 700, 0)
    assert row.size == (4 * 256 + 3 * 2, 256) and "t = 700" in note
    diffused, generated, note = app.versus_gan("0-3", 5)  # the default: the best GAN, trained on more faces
    assert diffused.size == generated.size and "faster" in note and "9,700" in note
    _, same_data, note = app.versus_gan("0-3", 5, app.SAME_DATA_GAN)
    assert "same 895 FFHQ faces" in note and np.abs(np.asarray(same_data, float) - np.asarray(generated, float)).mean() > 10


def test_the_default_views_are_made_ahead_for_these_weights_and_handlers(app):
    """The page's four default views come from spaces/diffusion/made_ahead.* (a first visit is served at once): each
    is there for the current weights, arguments and handler source, and a page's load counts it as ready."""
    from core.common.made_ahead import shown_defaults

    defaults = shown_defaults(app.demo)
    assert [fn.__name__ for fn, _ in defaults] == ["generate", "one_step", "from_text", "versus_gan"]
    for fn, args in defaults:
        assert fn.made_ahead.has(fn, args), "run `python -m core.common.made_ahead diffusion` to make them again"
        assert fn.is_cached(*args)


def test_a_made_ahead_view_is_what_a_fresh_computation_gives(app):
    """The stored result is the handler's (checked on the cheapest view, 8 digits x 25 steps: helpers such as the
    sampler are not in a result's key). Pixels to 1 level of 255 on average: another CPU rounds differently."""
    from core.common.made_ahead import shown_defaults

    fn, args = shown_defaults(app.demo)[0]
    stored, fresh = fn.made_ahead.load(fn, args), fn.compute(*args)
    for made, now in zip(stored[:2], fresh[:2], strict=True):
        assert made.size == now.size and np.abs(np.asarray(made, float) - np.asarray(now, float)).mean() < 1
    with Image.open(stored[2]) as made, Image.open(fresh[2]) as now:
        assert made.n_frames == now.n_frames
    without_times = [re.sub(r"[\d.]+ s on this machine \(\d+ ms", "_", note) for note in (stored[3], fresh[3])]
    assert without_times[0] == without_times[1]


def test_space_turns_bad_input_into_messages(app, served_spaces):
    for seeds, message in (("zero", "is not a seed"), ("0-99", "at most 16 seeds")):
        with pytest.raises(ValueError, match=message):  # a message for the user, via core.common.edge
            app.generate("Digits (MNIST)", seeds, 10, "DDIM (deterministic)")
    from bench.toolkit.raw_gradio import RawGradio

    client = RawGradio(f"{served_spaces.url}/diffusion")
    generate, one_step = client.endpoint("generate"), client.endpoint("one_step")
    for endpoint, data, label in ((generate, ["Digits (MNIST)", "0", 0, "DDIM (deterministic)"], "Denoising steps"),
                                  (one_step, ["Digits (MNIST)", 0, 1000, 0], "Noise level t"),
                                  (one_step, ["Digits (MNIST)", 99, 10, 0], "Example image")):
        answer = client.call(endpoint.fn_index, data)
        assert answer.status == "error" and answer.message.startswith(label), answer


def test_a_release_is_in_diffusers_layout_and_loads_both_ways(tmp_path, monkeypatch):
    """DDPMPipeline / DDIMPipeline load our release as it is; our loader loads it (and the older root layout)."""
    from diffusers import DDIMPipeline, DDPMPipeline

    model = DiffusionModel(image_size=8, channels=3, block_channels=(8,), attention_levels=(), norm_groups=4,
                           prediction_type="v_prediction")
    model.save_pretrained(tmp_path / "release")
    assert (tmp_path / "release" / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    assert not (tmp_path / "release" / "model.safetensors").exists()  # the weights once, where diffusers looks
    pipeline = DDPMPipeline.from_pretrained(tmp_path / "release")
    assert pipeline.scheduler.config.prediction_type == "v_prediction"
    assert torch.equal(pipeline.unet.conv_in.weight, model.unet.conv_in.weight)
    assert type(DDIMPipeline.from_pretrained(tmp_path / "release").scheduler).__name__ == "DDIMScheduler"
    monkeypatch.setenv("MANIFOLD_WEIGHTS_TINY_DIFFUSION", str(tmp_path / "release"))
    loaded, source = load_pretrained(DiffusionModel, "manifold-lab/tiny-diffusion")
    assert source.kind == "local" and loaded.prediction_type == "v_prediction"
    assert torch.equal(loaded.unet.conv_in.weight, model.unet.conv_in.weight)


def test_animations_written_at_once_by_many_visitors_never_fail_and_stay_bounded(tmp_path):
    """The soak's one error (a bare "error" on "generate", 1 of 1,030 calls, 2026-12-07): two calls pruning the
    folder at once, one stat-ing a file the other had just deleted."""
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from core.diffusion.figures import write_animation

    tiny = torch.zeros(1, 1, 4, 4)
    trajectory = SimpleNamespace(samples=[tiny, tiny], predicted_x0=[tiny, tiny])
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: write_animation(trajectory, tmp_path, keep=2), range(400)))
    assert len(set(paths)) == 400 and len(list(tmp_path.glob("*.gif"))) <= 2 + 8  # each writer keeps its own
