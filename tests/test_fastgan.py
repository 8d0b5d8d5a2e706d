"""FastGAN: shapes, seeds, skip-layer excitation, D's reconstruction task, the hinge loss, and a few recipe steps."""

import gc

import pytest
import torch

from core.adversarial.losses import discriminator_loss, generator_loss
from core.gan.fastgan import FastGANDiscriminator, FastGANGenerator, SkipLayerExcitation, reconstruction_loss
from tests.conftest import gan_recipe_steps
from train import gan as gan_recipe


@pytest.mark.parametrize("size", [32, 64])
def test_shapes_at_each_resolution(size):
    generator = FastGANGenerator(latent_dim=8, image_size=size, base_channels=4).eval()
    discriminator = FastGANDiscriminator(image_size=size, base_channels=4)
    images = generator(torch.randn(3, 8))
    assert images.shape == (3, 3, size, size) and images.abs().max() <= 1
    assert discriminator(images).shape == (3,)
    logits, (whole, whole_target), (part, part_target) = discriminator(images, output="reconstruct", quarter=3)
    assert logits.shape == (3, 25) and whole.shape == whole_target.shape == part.shape == part_target.shape == (3, 3, 32, 32)
    # quarter 3 is the bottom-right quarter of the image, brought to the decoder's size
    expected = torch.nn.functional.interpolate(images[:, :, size // 2 :, size // 2 :], size=32, mode="area")
    assert torch.allclose(part_target, expected)
    with pytest.raises(ValueError, match="power of two"):
        FastGANGenerator(image_size=48)
    with pytest.raises(ValueError, match=">= 32"):
        FastGANDiscriminator(image_size=16)


def test_every_output_of_d_goes_through_forward_and_the_logit_is_the_mean_patch(tmp_path):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.manual_seed(0)
    discriminator = FastGANDiscriminator(image_size=32, base_channels=4).eval()
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    patches = discriminator(images, output="patches")
    assert patches.shape == (2, 25) and torch.allclose(discriminator(images), patches.mean(dim=1))
    assert torch.equal(discriminator(images, output="reconstruct", quarter=1)[0], patches)
    with pytest.raises(ValueError, match="output must be one of"):
        discriminator(images, output="features")
    with pytest.raises(ValueError, match="quarter must be 0..3"):
        discriminator(images, output="reconstruct", quarter=4)
    # the wrapper used on several processes has only forward: the recipe's calls all reach D through it
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        wrapped = DistributedDataParallel(discriminator.train())
        logits, *pairs = wrapped(images, output="reconstruct", quarter=2)
        (reconstruction_loss(pairs) + wrapped(images, output="patches").mean() + logits.mean()).backward()
        assert all(p.grad is not None for p in discriminator.parameters())
        # the wrapper (its reducer holds the process group) goes first: freed after the group was destroyed, when
        # the test returned, gloo's destructor waited on a lock forever (the full lane hung here, 2026-12-06)
        del wrapped, logits, pairs
        gc.collect()
    finally:
        dist.destroy_process_group()


def test_the_excitation_gates_every_channel_of_the_high_resolution_map_by_the_low_one():
    excite = SkipLayerExcitation(low_channels=4, high_channels=6)
    high = torch.ones(2, 6, 16, 16)
    gated = excite(torch.randn(2, 4, 8, 8), high)
    gate = gated[:, :, 0, 0]
    assert gated.shape == high.shape and torch.all((gate > 0) & (gate < 1))
    assert torch.equal(gated, gate[:, :, None, None].expand_as(gated))  # one factor per channel, image-wide
    assert not torch.allclose(gate[0], gate[1])  # and it depends on the low-resolution map


def test_same_seed_same_image_and_zero_truncation_is_one_image():
    generator = FastGANGenerator(latent_dim=8, image_size=32, base_channels=4).eval()
    assert torch.equal(generator.sample([7]), generator.sample([7]))
    assert not torch.equal(generator.sample([7]), generator.sample([8]))
    collapsed = generator.sample([1, 2], truncation=0.0)
    assert torch.equal(collapsed[0], collapsed[1]) and collapsed.min() >= 0 and collapsed.max() <= 1


def test_hinge_loss_stops_pushing_past_the_margin():
    assert discriminator_loss(torch.tensor([2.0]), torch.tensor([-3.0]), "hinge") == 0
    assert discriminator_loss(torch.tensor([0.5]), torch.tensor([0.0]), "hinge") == pytest.approx(1.5)
    assert generator_loss(torch.tensor([2.0, 4.0]), "hinge") == pytest.approx(-3.0)


def test_the_reconstruction_loss_is_the_mean_l1_of_each_pair():
    pairs = [(torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)), (torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.5))]
    assert reconstruction_loss(pairs) == pytest.approx(1.5)


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_a_few_recipe_steps_lower_the_discriminator_loss_and_teach_its_decoders():
    args = gan_recipe.parse_args(["--arch", "fastgan", "--data", "synthetic:discs", "--image_size", "32",
                                  "--base_channels", "4", "--output_dir", "unused"])
    assert (args.loss, args.r1_gamma) == ("hinge", 0.0)  # FastGAN's own choices; D has batch norm, so no R1
    recipe = gan_recipe.GanRecipe(args)
    assert "FastGAN" in recipe.title and "hinge" in recipe.description and "R1" not in recipe.description
    models, steps = gan_recipe_steps(recipe)
    d_loss = [s["d_loss"].item() for s in steps]
    rebuilt = [s["reconstruction"].item() for s in steps]
    assert sum(d_loss[-5:]) < sum(d_loss[:5]) and sum(rebuilt[-5:]) < sum(rebuilt[:5])
    assert all(p.requires_grad for p in models["discriminator"].parameters())


def test_a_saved_generator_loads_with_the_same_samples(tmp_path):
    generator = FastGANGenerator(latent_dim=8, image_size=32, base_channels=4).eval()
    generator.save_pretrained(tmp_path)
    loaded = FastGANGenerator.from_pretrained(tmp_path).eval()
    assert torch.equal(generator.sample([3, 4]), loaded.sample([3, 4]))
