"""StyleGAN2-style G and D: shapes, truncation, seeds, style mixing, demodulation, and training steps."""

import json

import pytest
import torch

from core.common.seeds import seed_noise
from core.gan.stylegan import ModulatedConv, StyleGANDiscriminator, StyleGANGenerator
from core.hub import load_pretrained, override_variable
from train import gan as gan_recipe


def tiny_generator(size=16):
    torch.manual_seed(0)
    generator = StyleGANGenerator(latent_dim=8, w_dim=8, mapping_layers=2, image_size=size, channel_base=64,
                                  max_channels=16).eval()
    generator.w_avg.normal_()  # a trained G has a non-zero mean w
    for layer in generator.layers:
        layer.noise_strength.data.fill_(0.5)  # so noise modes differ
    return generator


@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_shapes_at_each_resolution(size):
    generator = tiny_generator(size)
    discriminator = StyleGANDiscriminator(image_size=size, channel_base=64, max_channels=16)
    images = generator(torch.randn(4, 8))
    assert images.shape == (4, 3, size, size)
    assert generator.num_ws == 2 * len(generator.resolutions)  # 1 + 2 per doubling + the last toRGB
    assert discriminator(images).shape == (4,)
    assert discriminator(images[:3]).shape == (3,)  # a batch the stddev group does not divide
    with pytest.raises(ValueError, match="power of two"):
        StyleGANGenerator(image_size=48)
    with pytest.raises(ValueError, match="shape"):
        generator(torch.randn(2, 5))


def test_truncation_zero_gives_the_mean_image_for_every_seed():
    generator = tiny_generator()
    collapsed = generator.sample([1, 2, 3], truncation=0.0)
    assert torch.allclose(collapsed[0], collapsed[1]) and torch.allclose(collapsed[1], collapsed[2])
    mean_image = ((generator.synthesize(generator.w_avg[None]) + 1) / 2).clamp(0, 1)
    assert torch.allclose(collapsed[0], mean_image[0], atol=1e-6)
    half = generator.sample([1], truncation=0.5)
    full = generator.sample([1])
    assert 0 < (half - mean_image).abs().mean() < (full - mean_image).abs().mean()


def test_same_seed_same_image_and_noise_modes():
    generator = tiny_generator()
    assert torch.equal(generator.sample([7]), generator.sample([7]))
    assert not torch.allclose(generator.sample([7]), generator.sample([8]))
    w = generator.map(seed_noise([7], 8))
    random_a, random_b = generator.synthesize(w, "random"), generator.synthesize(w, "random")
    assert not torch.equal(random_a, random_b)  # fresh noise: new stochastic detail each call
    assert torch.equal(generator.synthesize(w, "const"), generator.synthesize(w, "const"))
    assert torch.equal(generator.synthesize(w, "none"), generator.synthesize(w, "none"))


def test_style_mixing_takes_coarse_layers_from_one_seed_and_fine_from_the_other():
    generator = tiny_generator()
    a, b = generator.sample([1]), generator.sample([2])
    assert torch.allclose(generator.mix(1, 2, crossover=generator.num_ws), a, atol=1e-6)
    assert torch.allclose(generator.mix(1, 2, crossover=0), b, atol=1e-6)
    mixed = generator.mix(1, 2, crossover=generator.coarse_layers(8))
    assert generator.coarse_layers(8) == 3 and not torch.allclose(mixed, a) and not torch.allclose(mixed, b)


def test_demodulation_gives_unit_output_variance_whatever_the_style():
    torch.manual_seed(0)
    conv = ModulatedConv(32, 16, w_dim=8)
    x = torch.randn(4, 32, 16, 16)
    for scale in (0.1, 10.0):
        styles = conv.affine(torch.randn(4, 8)) * scale
        out = conv(x, styles) * conv.demodulation(styles)
        assert out.std().item() == pytest.approx(1.0, rel=0.15)


def test_the_recipe_releases_g_and_d_loadable_through_the_weight_path(tmp_path, monkeypatch):
    summary = gan_recipe.main(["--arch", "stylegan", "--dry_run", "--data", "synthetic:discs", "--image_size", "16",
                               "--channel_base", "128", "--output_dir", str(tmp_path)])
    final = tmp_path / "final"
    assert json.loads((final / "config.json").read_text())["image_size"] == 16
    assert "StyleGAN2-style" in (final / "discriminator" / "README.md").read_text()
    monkeypatch.setenv(override_variable("stylegan-faces"), str(final))
    monkeypatch.setenv(override_variable("stylegan-faces-discriminator"), str(final / "discriminator"))
    generator, source = load_pretrained(StyleGANGenerator, "manifold-lab/stylegan-faces")
    discriminator, _ = load_pretrained(StyleGANDiscriminator, "manifold-lab/stylegan-faces-discriminator")
    assert source.kind == "local" and summary["step"] == 2
    assert discriminator(generator.sample([0, 1]) * 2 - 1).shape == (2,)
