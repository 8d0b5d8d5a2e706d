"""The style-based DCGAN: it starts as a copy of a DCGAN (w = normalised z), its styles learn, styles mix."""

import json

import pytest
import torch

from core.gan.dcgan import DCGANGenerator
from core.gan.style_dcgan import StyleDCGANGenerator
from core.hub import load_pretrained, override_variable
from tests.conftest import gan_recipe_steps
from train import gan as gan_recipe
from train.checkpoints import warm_start


def trained_dcgan(tmp_path):
    torch.manual_seed(0)
    dcgan = DCGANGenerator(latent_dim=8, image_size=16, base_channels=4)
    with torch.no_grad():  # batch-norm statistics and scales that are not the defaults
        for _ in range(3):
            dcgan(torch.randn(16, 8))
        for module in dcgan.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    dcgan.save_pretrained(tmp_path)
    return dcgan


def tiny_style_generator():
    torch.manual_seed(0)
    return StyleDCGANGenerator(latent_dim=8, mapping_layers=2, image_size=16, base_channels=4)


def test_a_warm_start_from_a_dcgan_release_makes_the_dcgans_images(tmp_path):
    dcgan = trained_dcgan(tmp_path)
    style = tiny_style_generator()
    warm_start(style, tmp_path)  # the folder holds a DCGAN's config: read through `adopts`
    z = torch.randn(6, 8)
    normalised = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True))  # the mapping starts as the identity on it
    for mode in ("eval", "train"):
        getattr(dcgan, mode)(), getattr(style, mode)()
        assert torch.allclose(style(z), dcgan(normalised), atol=1e-5), mode
    with pytest.raises(ValueError, match="same latent_dim"):
        StyleDCGANGenerator(latent_dim=8, image_size=16, base_channels=8).adopt(dcgan)


def test_styles_change_the_image_and_mixing_takes_coarse_layers_from_one_seed():
    generator = tiny_style_generator()
    with torch.no_grad():
        for norm in generator.norms:
            norm.style.weight.normal_(0, 0.3)  # a trained G's styles say something
    generator.eval()
    a, b = generator.sample([1]), generator.sample([2])
    assert not torch.allclose(a, b)
    assert generator.num_ws == 3 and generator.coarse_layers(4) == 1 and generator.coarse_layers(8) == 2
    ws = generator.map(torch.randn(1, 8)).expand(3, -1).clone()[None]
    restyled = ws.clone()
    restyled[:, 2] = generator.map(torch.randn(1, 8))  # only the 16x16 style changes
    assert not torch.allclose(generator.synthesize(ws), generator.synthesize(restyled))
    assert torch.allclose(generator.mix(1, 2, crossover=generator.num_ws), a, atol=1e-6)
    assert torch.allclose(generator.mix(1, 2, crossover=0), b, atol=1e-6)
    mixed = generator.mix(1, 2, crossover=generator.coarse_layers(8))
    assert not torch.allclose(mixed, a) and not torch.allclose(mixed, b)
    assert torch.equal(generator.sample([7]), generator.sample([7]))
    collapsed = generator.sample([1, 2], truncation=0.0)
    assert torch.allclose(collapsed[0], collapsed[1])


def test_a_few_steps_lower_the_discriminator_loss():
    args = gan_recipe.parse_args(["--arch", "style-dcgan", "--data", "synthetic:discs", "--image_size", "16",
                                  "--base_channels", "8", "--output_dir", "unused", "--r1_every", "1000"])
    models, steps = gan_recipe_steps(gan_recipe.GanRecipe(args))
    losses = [s["d_loss"].item() for s in steps]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    assert models["generator"].w_avg.abs().sum() > 0  # the truncation centre followed w
    assert all(norm.style.weight.abs().sum() > 0 for norm in models["generator"].norms)  # the styles learned


def test_the_recipe_releases_g_and_d_loadable_through_the_weight_path(tmp_path, monkeypatch):
    summary = gan_recipe.main(["--arch", "style-dcgan", "--dry_run", "--data", "synthetic:discs", "--image_size", "16",
                               "--base_channels", "4", "--output_dir", str(tmp_path)])
    final = tmp_path / "final"
    config = json.loads((final / "config.json").read_text())
    assert config["image_size"] == 16 and config["mapping_layers"] == 2  # StyleGAN2-ADA's depth for new data
    assert "style-based DCGAN" in (final / "README.md").read_text()
    monkeypatch.setenv(override_variable("style-dcgan-faces"), str(final))
    generator, source = load_pretrained(StyleDCGANGenerator, "manifold-lab/style-dcgan-faces")
    assert source.kind == "local" and summary["step"] == 2
    assert generator.sample([0, 1]).shape == (2, 3, 16, 16)
