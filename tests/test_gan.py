"""DCGAN: shapes, seeds, truncation, differentiable augmentation, and a few steps that lower D's loss."""

import pytest
import torch

from core.adversarial.diffaugment import cutout, diff_augment, translation
from core.adversarial.losses import discriminator_loss, generator_loss, r1_penalty
from core.gan.dcgan import DCGANDiscriminator, DCGANGenerator
from tests.conftest import gan_recipe_steps
from train import gan as gan_recipe


@pytest.mark.parametrize("size", [16, 32, 64])
def test_shapes_at_each_resolution(size):
    generator = DCGANGenerator(latent_dim=8, image_size=size, base_channels=4).eval()
    discriminator = DCGANDiscriminator(image_size=size, base_channels=4)
    images = generator(torch.randn(3, 8))
    assert images.shape == (3, 3, size, size) and images.abs().max() <= 1
    assert discriminator(images).shape == (3,)
    with pytest.raises(ValueError, match="power of two"):
        DCGANGenerator(image_size=48)


def test_same_seed_same_image_and_zero_truncation_is_one_mean_image():
    torch.manual_seed(0)
    generator = DCGANGenerator(latent_dim=8, image_size=16, base_channels=4).eval()
    assert torch.equal(generator.sample([7]), generator.sample([7]))
    assert not torch.equal(generator.sample([7]), generator.sample([8]))
    collapsed = generator.sample([1, 2, 3], truncation=0.0)
    # the same row three times; kernels may treat rows of a batch a rounding error apart
    assert torch.allclose(collapsed[0], collapsed[1], atol=1e-6) and torch.allclose(collapsed[1], collapsed[2], atol=1e-6)
    assert collapsed.min() >= 0 and collapsed.max() <= 1


def test_diff_augment_keeps_shape_and_gradients():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    out = diff_augment(x * 2 - 1)
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert (cutout(torch.ones(2, 1, 8, 8)) == 0).float().mean() == pytest.approx(0.25)
    assert translation(torch.ones(2, 1, 8, 8)).shape == (2, 1, 8, 8)
    # a policy without cutout never blanks a square; an unknown augmentation is named
    torch.manual_seed(0)
    assert (diff_augment(torch.ones(8, 3, 8, 8), ("translation",)) != 0).float().mean() > 0.75
    with pytest.raises(ValueError, match="rotate"):
        diff_augment(x, ("color", "rotate"))


def test_losses_and_r1():
    logits = torch.tensor([5.0, -5.0])
    assert discriminator_loss(logits[:1], logits[1:]) < 0.02 and generator_loss(logits[1:]) > 4
    images = torch.rand(2, 3, 16, 16, requires_grad=True)
    assert r1_penalty(images, (images * 3).sum(dim=(1, 2, 3))) == pytest.approx(9 * 3 * 16 * 16)


def test_minibatch_stddev_sees_copies_and_a_grown_discriminator_starts_as_the_old_one(tmp_path):
    from core.adversarial.minibatch import minibatch_stddev
    from train.checkpoints import warm_start

    varied, copies = torch.randn(8, 4, 2, 2), torch.randn(1, 4, 2, 2).expand(8, -1, -1, -1)
    assert minibatch_stddev(varied).shape == (8, 5, 2, 2) and minibatch_stddev(varied)[:, 4].min() > 0.3
    assert minibatch_stddev(copies)[:, 4].max() < 1e-3  # a batch of near-copies shows as ~0
    old = DCGANDiscriminator(image_size=16, base_channels=4)
    old.save_pretrained(tmp_path)
    grown = DCGANDiscriminator(image_size=16, base_channels=4, stddev_group=4)
    assert warm_start(grown, tmp_path) == ["body.4.weight"]  # the last strided conv took one more channel
    images = torch.rand(8, 3, 16, 16) * 2 - 1
    assert torch.allclose(grown(images), old(images))
    assert grown(images[:3]).shape == (3,)  # a batch the group does not divide


def test_a_widened_generator_makes_the_same_images_and_its_copied_channels_learn_apart(tmp_path):
    from train.checkpoints import warm_start

    torch.manual_seed(0)
    narrow = DCGANGenerator(latent_dim=8, image_size=16, base_channels=4)
    with torch.no_grad():  # batch-norm statistics that are not the defaults
        for _ in range(3):
            narrow(torch.randn(16, 8))
    narrow.save_pretrained(tmp_path)
    wide = DCGANGenerator(latent_dim=8, image_size=16, base_channels=8)
    assert "to_rgb.weight" in warm_start(wide, tmp_path)  # through widen_from, not zero padding
    z = torch.randn(6, 8)
    for mode in ("eval", "train"):
        getattr(narrow, mode)(), getattr(wide, mode)()
        assert torch.allclose(wide(z), narrow(z), atol=1e-5), mode
    optimizer = torch.optim.SGD(wide.parameters(), lr=0.1)
    wide(torch.randn(16, 8)).square().mean().backward()
    optimizer.step()
    kernel = wide.body[0].weight  # (in, out, 4, 4): out channel c and its copy c + 4 were equal
    assert not torch.allclose(kernel[:, :4], kernel[:, 4:])
    with pytest.raises(ValueError, match="whole multiple"):
        DCGANGenerator(latent_dim=8, image_size=16, base_channels=6).widen_from(narrow)


TINY = ["--image_size", "16", "--base_channels", "8", "--channel_base", "128"]  # what a test can train in seconds


@pytest.mark.parametrize("arch", ["dcgan", "stylegan"])
@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_a_few_steps_lower_the_discriminator_loss(arch):
    args = gan_recipe.parse_args(["--arch", arch, "--data", "synthetic:discs", *TINY, "--output_dir", "unused",
                                  "--r1_every", "1000"])
    models, steps = gan_recipe_steps(gan_recipe.GanRecipe(args))
    losses = [s["d_loss"].item() for s in steps]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    assert all(p.grad is None or p.requires_grad for p in models["discriminator"].parameters())
    if arch == "stylegan":
        assert models["generator"].w_avg.abs().sum() > 0  # the truncation centre followed w during training


def test_parse_seeds_reads_lists_and_ranges_and_refuses_the_rest():
    from core.common.seeds import parse_seeds

    assert parse_seeds("0-3, 42") == [0, 1, 2, 3, 42]
    assert parse_seeds(" 7 ") == [7]
    for bad, message in [("", "no seeds"), ("a", "not a seed"), ("-3", "not a seed"), ("5-2", "backwards"),
                         ("0-100", "at most 64"), ("1.5", "not a seed")]:
        with pytest.raises(ValueError, match=message):
            parse_seeds(bad)
