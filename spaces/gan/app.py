"""GANs: a discriminator is a learned loss. Style-based faces by seed; the 2-D GAN lab trains G and D live."""

from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gan_lab_tab import build_lab_tab  # this Space's own module, beside app.py

from core.common import edge, links
from core.common.display import pixel_grid, weights_note
from core.common.images import load_image
from core.common.seeds import MAX_SEED, parse_seeds, seed_noise
from core.gan.dcgan import DCGANGenerator
from core.gan.projection import (
    face_guide,
    interpolate_ws,
    move_along,
    project,
    projection_target,
    square_crop,
    w_pca,
)
from core.gan.sampling import PATHS, interpolate, style_mixing_row
from core.gan.style_dcgan import StyleDCGANGenerator
from core.hub import load_pretrained
from core.pca.figures import explained_variance_bars

STYLE_REPO, DCGAN_REPO = "manifold-lab/style-dcgan-faces", "manifold-lab/dcgan-faces"
EXAMPLES = Path(__file__).parent / "examples"
SCALE = 2  # 64x64 samples are shown at 2x, nearest neighbour, so pixels stay pixels (2 px gaps between)

DESCRIPTION = """# 🎭 GANs: the discriminator is a learned loss
A generator G turns random codes into images; a discriminator D learns to tell them from real data, and G
follows D's gradient. The faces come from two GANs trained here on CPUs, at 64x64: a **DCGAN** (900 FFHQ
faces, 39,200 steps) and a **style-based DCGAN** (StyleGAN's idea on DCGAN's layers: a mapping network z → w,
and w drives every layer, as the 4x4 input and as each layer's scale and bias; 9,700 FFHQ and CelebA faces,
non-commercial research terms; 18,000 steps, 576 thousand images, 7 CPU hours). The style-based one makes the
more varied and more realistic faces by our face bench, and is what every tab here explores. In the **2-D lab**
the data are points, so you can watch the whole game."""
# What a student should see in each tab's result at its default settings (checked against what it shows); the
# style-mixing tab says its own above its result.
NOTICES = {
    "faces": "**What to notice:** at ψ = 1 (no truncation) most of the 16 faces pass at a glance, but several show "
             "a GAN's typical flaws: a mask-like face (seed 5), smeared features (seeds 8 and 15), warped "
             "backgrounds. Truncation ψ pulls each face's style code w (what the mapping network makes of the "
             "seed) towards the average w; in this model that does not clean faces up: they fade towards a blank "
             "grey square, which is what the average w draws.",
    "interpolation": "**What to notice:** every frame from seed 1 to seed 7 is a face, not a double exposure: the "
                     "hair lightens from brown to blond and the background changes step by step. The path is a "
                     "straight line in w, the code after the mapping network, where the styles live.",
    "projection": "**What to notice:** project the first example: G(w) takes the photo's framing, pose, smile and "
                  "colours, but not the person: the nearest face this generator can make is someone else. Its "
                  "PSNR (17.8 dB; peak signal-to-noise ratio, higher = closer) is about what a face the generator "
                  "made itself gets back: a pixel score cannot tell whether the identity survived.",
    "ganspace": "**What to notice:** the bars are almost flat: each of the first components holds about 1% of the "
                "variance of w (the style code), the first three together 3.1%, so PCA finds no dominant "
                "direction in this small model. Each row changes the same man only a little (expression, "
                "shading, the darkness round his eyes), never who he is.",
    "lab": "**What to notice:** press **▶ Train** at the defaults: G's samples spread onto the ring and cover all 8 "
           "modes by step 500, and neither loss goes to zero. D's loss hovers around 1.2-1.4, near 2 ln 2 ≈ 1.39, "
           "its loss when it can only answer ½ (a coin: real or fake?) for every point.",
}

style, style_source = load_pretrained(StyleDCGANGenerator, STYLE_REPO)
dcgan, dcgan_source = load_pretrained(DCGANGenerator, DCGAN_REPO)
STYLE_NAME = "Style-based DCGAN"
GENERATORS = {STYLE_NAME: style, "DCGAN (baseline)": dcgan}
DEFAULT_GENERATOR = STYLE_NAME  # the better face model here by the face bench: gap 1.11 vs 1.37 (bench/RESULTS.md)


@edge.remember(images_as_files=True)  # seeded: what a page load shows is computed once
@torch.inference_mode()
def sample_faces(seeds_text, truncation, model_name):
    seeds = parse_seeds(seeds_text)
    images = GENERATORS[model_name].sample(seeds, truncation=float(truncation))
    return pixel_grid(images, columns=8, scale=SCALE), (
        f"{model_name}, seeds {seeds_text} at truncation ψ = {float(truncation):.2f}.")


@edge.remember(images_as_files=True)
@torch.inference_mode()
def interpolate_faces(seed_a, seed_b, steps, path):
    return pixel_grid(interpolate(style, int(seed_a), int(seed_b), int(steps), path), scale=SCALE)


@edge.remember(images_as_files=True)
@torch.inference_mode()
def mix_styles(coarse_seed, fine_seed, truncation):
    return pixel_grid(style_mixing_row(style, int(coarse_seed), int(fine_seed), float(truncation)), scale=SCALE)


@edge.remember(maxsize=1)
def ganspace():
    """PCA of 5,000 sampled w (GANSpace), computed once on first use."""
    return w_pca(style, samples=5000)


def crop_preview(photo, left, top, size):
    """The square the projection will use, with FFHQ's framing as a guide (eyes on the upper line)."""
    face = square_crop(np.asarray(load_image(photo, "RGB", max_side=1024, min_side=32)), left, top, size)
    return face_guide(face), face


def project_photo(photo, left, top, size, space, steps, progress=gr.Progress()):
    _, face = crop_preview(photo, left, top, size)
    target = projection_target(face, style.image_size)
    result = project(style, target, steps=int(steps), plus=space == "w+",
                     callback=lambda f: progress(f, desc="optimising w"))
    own = self_projection_psnr()
    note = (f"{int(steps)} Adam steps in {space}: reconstruction **{result.psnr:.1f} dB** PSNR against your photo at 64x64. "
            f"A face the generator made itself projects back to about {own:.0f} dB" +
            (": the rest of the gap is how far your photo lies from the faces this generator can make."
             if result.psnr < own - 1 else
             ", no better: by PSNR your photo is as near the manifold as its own faces. Compare the two faces by eye: "
             "pose and colours survive, the person often does not, and a pixel score cannot tell the difference."))
    strip = pixel_grid(torch.stack(result.snapshots), scale=2)
    return pixel_grid(torch.stack([target, result.image]), scale=4), strip, note, result.w


@edge.remember(maxsize=1)
def self_projection_psnr() -> float:
    return project(style, style.sample([123])[0], steps=150).psnr


@torch.inference_mode()
def photo_to_sample(w, seed, steps):
    if w is None:
        raise gr.Error("Project a photo first.")
    w_seed = style.map(seed_noise([int(seed)], style.latent_dim))[0].expand(style.num_ws, -1)
    return pixel_grid(interpolate_ws(style, w, w_seed, int(steps)), scale=2)


@edge.remember(images_as_files=True)  # deterministic: the page's default view (and every repeat) is computed once, not per visitor
@torch.inference_mode()
def walk_components(seed, first, second, third):
    pca, w = ganspace(), style.map(seed_noise([int(seed)], style.latent_dim))[0]
    face = move_along(style, w, pca, [float(first), float(second), float(third)])
    rows = [move_along(style, w, pca, [0] * i + [a]) for i in range(3) for a in (-2, -1, 0, 1, 2)]
    return (pixel_grid(face[None], scale=4), pixel_grid(torch.stack(rows), columns=5, scale=2),
            explained_variance_bars(pca, 3))


with gr.Blocks(title="GANs") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tabs() as tabs:
        with gr.Tab("Faces", id="faces"):
            gr.Markdown(weights_note({STYLE_NAME: style_source, "DCGAN": dcgan_source}))
            with gr.Row():
                seeds = gr.Textbox("0-15", label="Seeds", info="a list or ranges: 0-15, 42; seed i is always face i")
                truncation = gr.Slider(0, 1.5, 1.0, step=0.05, label="Truncation ψ",
                                       info="pull w (style-based) or z (DCGAN) towards its mean: in StyleGAN ψ = 0 draws an 'average' face, here a grey blank")
                model_name = gr.Radio(list(GENERATORS), value=DEFAULT_GENERATOR, label="Generator",
                                      info="the style-based one is what the other tabs explore")
            show = gr.Button("Show these faces", variant="primary")
            faces = gr.Image(label="samples", format="png")
            faces_text = gr.Markdown()
            gr.Markdown(NOTICES["faces"])
            links.copy_button()
        with gr.Tab("Interpolation", id="interpolation"):
            with gr.Row():
                seed_a = gr.Number(1, precision=0, minimum=0, maximum=MAX_SEED, label="From seed")
                seed_b = gr.Number(7, precision=0, minimum=0, maximum=MAX_SEED, label="To seed")
                path_steps = gr.Slider(2, 16, 8, step=1, label="Steps")
                mode = gr.Radio(list(PATHS), value="linear in w", label="Path",
                                info="w is where StyleGAN's styles live; a straight line in z passes near 0, an atypical code")
            path = gr.Image(label="the style-based generator, from one seed to the other", format="png")
            gr.Markdown(NOTICES["interpolation"])
            links.copy_button()
        with gr.Tab("Style mixing", id="mixing"):
            gr.Markdown("Left: face A; right: face B. Between them, A's w drives the layers up to 4x4, 8x8, 16x16 "
                        "and 32x32 and B's w the rest: coarse styles carry pose and face shape, fine ones colour and texture. "
                        "What to notice here: the mixes keep A's face almost whole. In this model the first w, the 4x4 "
                        "input, carries most of the face (swapping it moves pixels by 0.47 on average, swapping any later "
                        "layer's w by 0.07-0.09), so B's fine styles only shift light and colour a little. StyleGAN's "
                        "learned constant input is what forces every layer's style to matter.")
            with gr.Row():
                coarse_seed = gr.Number(3, precision=0, minimum=0, maximum=MAX_SEED, label="Seed A (coarse styles)")
                fine_seed = gr.Number(11, precision=0, minimum=0, maximum=MAX_SEED, label="Seed B (fine styles)")
                mix_truncation = gr.Slider(0, 1, 0.8, step=0.05, label="Truncation ψ")
            mixed = gr.Image(label="A | A up to 4, 8, 16, 32 px, then B | B", format="png")
            links.copy_button()
        with gr.Tab("Project a photo", id="projection"):
            gr.Markdown("The generator's faces form a manifold in pixel space, one point per w. **Projection** finds the "
                        "point nearest to a photo: start from the mean w and optimise w until G(w) looks like it.")
            with gr.Row():
                with gr.Column():
                    photo = gr.Image(label="a face photo", type="filepath", image_mode=None, height=260)
                    gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.jpg"))], photo, label="held-out FFHQ faces")
                    crop_left = gr.Slider(0, 1, 0.5, step=0.01, label="crop: left ↔ right")
                    crop_top = gr.Slider(0, 1, 0.5, step=0.01, label="crop: top ↕ bottom")
                    crop_size = gr.Slider(0.2, 1, 1, step=0.01, label="crop: size", info="frame the face as the guide shows")
                with gr.Column():
                    guide = gr.Image(label="what will be projected (guide: FFHQ's framing)", format="png", height=260)
                    space = gr.Radio(["w", "w+"], value="w", label="Optimise", info="w+: a w per layer, closer but off the manifold")
                    project_steps = gr.Slider(50, 100, 100, step=10, label="Steps")  # w+ costs 0.09 CPU-s a step
                    project_button = gr.Button("Project onto the manifold", variant="primary")
            reconstruction = gr.Image(label="your photo | its projection G(w)", format="png")
            optimisation = gr.Image(label="the optimisation, every 25 steps", format="png")
            projection_note = gr.Markdown()
            gr.Markdown(NOTICES["projection"])
            projected_w = gr.State(None)
            with gr.Row():
                to_seed = gr.Number(7, precision=0, minimum=0, maximum=MAX_SEED, label="Walk from the projection to seed")
                walk_steps = gr.Slider(3, 12, 8, step=1, label="Steps")
                walk_button = gr.Button("Interpolate in w")
            walk = gr.Image(label="projected photo → sampled face, straight in w", format="png")
        with gr.Tab("PCA in w (GANSpace)", id="ganspace"):
            gr.Markdown("PCA, as in the **PCA** Space, on 5,000 sampled w. In StyleGAN its first directions change a "
                        "face's broadest attributes (Härkönen et al. 2020); ours has a two-layer mapping network that "
                        "started as the identity, so its w is still nearly as round as the Gaussian z it comes from and "
                        "PCA has little to find. Each slider moves along one direction, in standard deviations.")
            with gr.Row():
                pc_seed = gr.Number(3, precision=0, minimum=0, maximum=MAX_SEED, label="Seed")
                pc1, pc2, pc3 = (gr.Slider(-3, 3, 0, step=0.25, label=f"PC{i}") for i in (1, 2, 3))
            with gr.Row():
                moved = gr.Image(label="the face, moved", format="png", scale=1)
                components = gr.Image(label="rows: PC1, PC2, PC3 at -2, -1, 0, +1, +2 σ", format="png", scale=2)
            pc_bars = gr.Plot(label="explained variance of w")
            gr.Markdown(NOTICES["ganspace"])
            links.copy_button()
        with gr.Tab("2-D GAN lab", id="lab"):
            build_lab_tab(demo)
            gr.Markdown(NOTICES["lab"])

    # Sliders listen to .input: a value typed into a slider's box fires it (never .release, which only ends a
    # drag); trigger_mode="always_last" keeps a drag to two runs, its first value and its last.
    link = links.Link({"seeds": seeds, "psi": truncation, "model": model_name, "from": seed_a, "to": seed_b,
                       "steps": path_steps, "path": mode, "coarse": coarse_seed, "fine": fine_seed,
                       "mix_psi": mix_truncation, "pc_seed": pc_seed, "pc1": pc1, "pc2": pc2, "pc3": pc3}, tabs)
    face_inputs = [seeds, truncation, model_name]
    gr.on([show.click, seeds.submit, truncation.input, model_name.input], sample_faces, face_inputs, [faces, faces_text],
          api_name="sample_faces", concurrency_limit=2, trigger_mode="always_last")
    # what a person does, not `change`: a shared link sets these too, and a change event fired while the page
    # restores them could read a value not yet restored (core.common.links runs the link's own)
    gr.on([seed_a.input, seed_b.input, path_steps.input, mode.input], interpolate_faces,
          [seed_a, seed_b, path_steps, mode], path, api_name="interpolate", trigger_mode="always_last")
    gr.on([coarse_seed.change, fine_seed.change, mix_truncation.input], mix_styles,
          [coarse_seed, fine_seed, mix_truncation], mixed, api_name="mix_styles", trigger_mode="always_last")
    crop_inputs = [photo, crop_left, crop_top, crop_size]
    gr.on([photo.change, crop_left.input, crop_top.input, crop_size.input],
          lambda *a: crop_preview(*a)[0] if a[0] else None, crop_inputs, guide, api_name=False, show_progress="hidden",
          trigger_mode="always_last")
    project_button.click(project_photo, [*crop_inputs, space, project_steps],
                         [reconstruction, optimisation, projection_note, projected_w], api_name="project", concurrency_limit=2)
    walk_button.click(photo_to_sample, [projected_w, to_seed, walk_steps], walk, api_name=False)
    gr.on([pc_seed.change, pc1.input, pc2.input, pc3.input], walk_components,
          [pc_seed, pc1, pc2, pc3], [moved, components, pc_bars], api_name="ganspace", trigger_mode="always_last")
    # a shared link's settings and tab (a bare URL: the defaults, cached), then every result shown on load
    link.restore(demo, shown=[links.Shown(sample_faces, face_inputs, [faces, faces_text]),
                              links.Shown(interpolate_faces, [seed_a, seed_b, path_steps, mode], path),
                              links.Shown(mix_styles, [coarse_seed, fine_seed, mix_truncation], mixed),
                              links.Shown(walk_components, [pc_seed, pc1, pc2, pc3], [moved, components, pc_bars])])

if __name__ == "__main__":
    edge.launch(demo)
