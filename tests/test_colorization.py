"""Colourization: Lab matches scikit-image, the ab quantization's claims hold, both heads learn."""

import numpy as np
import pytest
import torch
from skimage import color, data

from core.colorization import ab_bins
from core.colorization.model import Colorizer, ab_regression_loss, rebalanced_cross_entropy
from core.common.color import colorfulness, lab_to_rgb, rgb_to_lab
from core.common.metrics import ab_error_auc
from train import colorization as recipe


def test_lab_matches_scikit_image_and_round_trips():
    rgb = data.astronaut()[::4, ::4] / 255.0
    lab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1))
    np.testing.assert_allclose(lab.permute(1, 2, 0).numpy(), color.rgb2lab(rgb), atol=1e-3)
    back = lab_to_rgb(lab).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(back, rgb, atol=1e-5)
    np.testing.assert_allclose(lab_to_rgb(torch.from_numpy(color.rgb2lab(rgb)).permute(2, 0, 1)).permute(1, 2, 0),
                               color.lab2rgb(color.rgb2lab(rgb)), atol=1e-3)


def test_lab_is_batched_and_differentiable():
    rgb = torch.rand(2, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    assert rgb_to_lab(rgb).shape == (2, 3, 5, 6)
    assert torch.autograd.gradcheck(lambda x: rgb_to_lab(x * 0.8 + 0.1), (rgb,), eps=1e-6, atol=1e-4)
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        rgb_to_lab(torch.rand(4, 5))


@pytest.fixture(scope="module")
def gamut():
    """Bins measured on every 8-bit sRGB colour on a coarse lattice: the whole displayable gamut."""
    levels = torch.linspace(0, 1, 32)
    cube = torch.stack(torch.meshgrid(levels, levels, levels, indexing="ij")).reshape(3, -1, 1)
    counts = ab_bins.ab_histogram(rgb_to_lab(cube)[1:])
    return ab_bins.gamut_from_histogram(counts)


def test_quantization_covers_the_srgb_gamut(gamut):
    centers, prior = gamut
    assert 250 <= len(centers) <= 330  # the paper's in-gamut count is 313
    photo = rgb_to_lab(torch.from_numpy(data.coffee() / 255.0).permute(2, 0, 1))[1:]
    points = photo.reshape(2, -1).T.float()
    nearest = torch.cdist(points, torch.from_numpy(centers)).min(dim=1).values
    assert nearest.max() < 10  # every real colour falls within one grid step of a kept bin
    assert prior.sum() == pytest.approx(1.0, abs=1e-5)


def test_soft_encoding_sums_to_one_on_five_bins(gamut):
    centers = torch.from_numpy(gamut[0])
    ab = torch.tensor([[[[12.0, -40.0]], [[33.0, 7.0]]]])  # (1, 2, 1, 2)
    encoded = ab_bins.soft_encode(ab, centers)
    assert encoded.shape == (1, len(centers), 1, 2)
    torch.testing.assert_close(encoded.sum(dim=1), torch.ones(1, 1, 2))
    assert ((encoded > 0).sum(dim=1) == 5).all()
    decoded = torch.einsum("bqhw,qc->bchw", encoded, centers)
    assert torch.allclose(decoded, ab, atol=4.0)  # the weighted centres sit near the colour


def test_annealed_mean_at_t1_is_the_mean_and_small_t_is_the_mode(gamut):
    centers = torch.from_numpy(gamut[0])
    probabilities = torch.softmax(torch.randn(1, len(centers), 2, 3, generator=torch.Generator().manual_seed(0)) * 3, 1)
    mean = torch.einsum("bqhw,qc->bchw", probabilities, centers)
    torch.testing.assert_close(ab_bins.annealed_mean(probabilities, centers, 1.0), mean)
    mode = centers[probabilities.argmax(dim=1)].permute(0, 3, 1, 2)
    torch.testing.assert_close(ab_bins.annealed_mean(probabilities, centers, 0.01), mode, atol=1e-3, rtol=0)
    with pytest.raises(ValueError, match="temperature"):
        ab_bins.annealed_mean(probabilities, centers, 0.0)


def test_rebalancing_weights_have_expectation_one_under_the_prior(gamut):
    centers, prior = gamut
    smooth = ab_bins.smoothed_prior(centers, prior)
    weights = ab_bins.rebalancing_weights(smooth, mix=0.5)
    assert float((smooth * weights).sum()) == pytest.approx(1.0, abs=1e-5)
    assert weights[smooth.argmin()] > weights[smooth.argmax()]  # rare colours count more
    assert smooth.sum() == pytest.approx(1.0, abs=1e-5)


def test_colorfulness_and_auc():
    gray = np.full((8, 8, 3), 0.5)
    assert colorfulness(gray) == pytest.approx(0.0)
    assert colorfulness(data.astronaut() / 255.0) > 30
    ab = np.zeros((2, 4, 4))
    assert ab_error_auc(ab, ab) == pytest.approx(1.0, abs=0.01)
    assert ab_error_auc(ab + 200, ab) == pytest.approx(0.0)


def test_the_rebalanced_auc_counts_rare_colours_as_much_as_common_ones():
    from core.common.metrics import rebalanced_pixel_weights

    centers, prior = np.array([[0.0, 0.0], [60.0, 60.0]]), np.array([0.9, 0.1])
    truth = np.zeros((2, 10, 10))
    truth[:, :, 0] = 60  # one column of a rare saturated colour, nine of gray
    weights = rebalanced_pixel_weights(truth, centers, prior)
    assert weights[0, 0] == pytest.approx(10) and weights[0, 1] == pytest.approx(1 / 0.9)
    gray = np.zeros_like(truth)  # right on the common pixels, 85 ab units off on the rare ones
    raw, rebalanced = ab_error_auc(gray, truth), ab_error_auc(gray, truth, pixel_weights=weights)
    # raw: 90% of pixels are perfect; rebalanced: the rare column weighs as much as the nine gray ones
    assert raw > 0.9 and rebalanced < raw - 0.2


@pytest.mark.parametrize("head, bins", [("classification", 40), ("regression", 0)])
def test_shapes_and_colorize_any_size(head, bins):
    model = Colorizer(head=head, num_bins=bins, base_channels=4).eval()
    if head == "classification":
        model.ab_centers.copy_(torch.randn(bins, 2) * 30)
    assert model(torch.rand(2, 1, 32, 48) * 100).shape == (2, bins or 2, 8, 12)
    assert model.colorize(torch.rand(1, 1, 37, 21) * 100).shape == (1, 2, 37, 21)
    with pytest.raises(ValueError, match="multiples of 8"):
        model(torch.rand(1, 1, 30, 32))


@pytest.mark.parametrize("head", ["classification", "regression"])
@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_a_tiny_training_run_of_each_head_lowers_its_loss(head):
    args = recipe.parse_args(["--data", "synthetic:fields", "--crop", "32", "--base_channels", "8", "--head", head,
                              "--output_dir", "unused"])
    task = recipe.ColorizationRecipe(args)
    torch.manual_seed(0)
    model = task.build_models()["colorizer"]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = torch.stack([task.build_dataset()[i] for i in range(8)])

    def update(name, loss):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    losses = [task.training_step({"colorizer": model}, batch, update)["loss"].item() for _ in range(50)]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_losses_are_plain_functions():
    soft = torch.softmax(torch.randn(2, 6, 3, 3), dim=1)
    assert rebalanced_cross_entropy(torch.randn(2, 6, 3, 3), soft, torch.ones(6)) > 0
    assert ab_regression_loss(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2)) == 0
