"""GANs: a discriminator is a learned loss. StyleGAN-style faces by seed; the 2-D GAN lab trains G and D live."""

import gradio as gr
import torch

from core.common import edge
from core.common.display import pixel_grid, weights_note
from core.common.seeds import MAX_SEED, parse_seeds
from core.gan.dcgan import DCGANGenerator
from core.gan.lab import DISTRIBUTIONS, MAX_SECONDS, MAX_STEPS, LabConfig, LabRun, train_lab
from core.gan.lab_figures import game_figure, loss_figure
from core.gan.sampling import PATHS, interpolate, style_mixing_row
from core.gan.stylegan import StyleGANGenerator
from core.hub import load_pretrained

STYLEGAN_REPO, DCGAN_REPO = "manifold-lab/stylegan-faces", "manifold-lab/dcgan-faces"
SCALE = 2  # 64x64 samples are shown at 2x, nearest neighbour, so pixels stay pixels (2 px gaps between)

DESCRIPTION = """# 🎭 GANs: the discriminator is a learned loss
A generator G turns random codes into images; a discriminator D learns to tell them from real data, and G
follows D's gradient. The faces come from a small **StyleGAN2-style** generator (mapping network z → w,
modulated convolutions, noise inputs) and its **DCGAN** baseline, both trained here on 1,000 faces for the
same 25 minutes. In the **2-D lab** the data are points, so you can watch the whole game."""

stylegan, stylegan_source = load_pretrained(StyleGANGenerator, STYLEGAN_REPO)
dcgan, dcgan_source = load_pretrained(DCGANGenerator, DCGAN_REPO)
GENERATORS = {"StyleGAN2-style": stylegan, "DCGAN (baseline)": dcgan}


@edge.remember()  # seeded: what a page load shows is computed once
@torch.inference_mode()
def sample_faces(seeds_text, truncation, model_name):
    seeds = parse_seeds(seeds_text)
    images = GENERATORS[model_name].sample(seeds, truncation=float(truncation))
    return pixel_grid(images, columns=8, scale=SCALE), (
        f"{model_name}, seeds {seeds_text} at truncation ψ = {float(truncation):.2f}. The page's link now "
        "holds these seeds: share it and the same faces appear.")


@edge.remember()
@torch.inference_mode()
def interpolate_faces(seed_a, seed_b, steps, path):
    return pixel_grid(interpolate(stylegan, int(seed_a), int(seed_b), int(steps), path), scale=SCALE)


@edge.remember()
@torch.inference_mode()
def mix_styles(coarse_seed, fine_seed, truncation):
    return pixel_grid(style_mixing_row(stylegan, int(coarse_seed), int(fine_seed), float(truncation)), scale=SCALE)


def read_link(request: gr.Request):
    """?seeds=0-15&psi=0.7&model=DCGAN...: a shared link restores its grid."""
    query = dict(request.query_params) if request else {}
    truncation = query.get("psi", "1.0")
    model_name = query.get("model") if query.get("model") in GENERATORS else "StyleGAN2-style"
    try:
        truncation = min(1.5, max(0.0, float(truncation)))
    except ValueError:
        truncation = 1.0
    return query.get("seeds", "0-15")[:200], truncation, model_name


WRITE_LINK = """(seeds, psi, model) => {
  const url = new URL(window.location.href);
  url.searchParams.set("seeds", seeds); url.searchParams.set("psi", psi); url.searchParams.set("model", model);
  window.history.replaceState(null, "", url);
}"""


def run_lab(distribution, loss, generator_lr, discriminator_lr, discriminator_steps, steps, seed, run=None):
    """Stream a snapshot every 100 steps; the run ends by itself at its step or time limit, or at Stop."""
    config = LabConfig(distribution=distribution, loss=loss, generator_lr=float(generator_lr),
                       discriminator_lr=float(discriminator_lr), discriminator_steps=int(discriminator_steps),
                       steps=int(steps), seed=int(seed)).validate()
    run = run or LabRun()
    run.stopped = False
    for snap in train_lab(config, should_stop=lambda: run.stopped):
        yield game_figure(snap), loss_figure(snap), snap.status(config.steps)


def stop_lab(run):
    if run is not None:
        run.stopped = True


with gr.Blocks(title="GANs") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tab("Faces"):
        gr.Markdown(weights_note({"StyleGAN2-style": stylegan_source, "DCGAN": dcgan_source}))
        with gr.Row():
            seeds = gr.Textbox("0-15", label="Seeds", info="a list or ranges: 0-15, 42; seed i is always face i")
            truncation = gr.Slider(0, 1.5, 1.0, step=0.05, label="Truncation ψ",
                                   info="pull w (StyleGAN) or z (DCGAN) towards the mean: ψ = 0 is the 'average' face")
            model_name = gr.Radio(list(GENERATORS), value="StyleGAN2-style", label="Generator")
        show = gr.Button("Show these faces", variant="primary")
        faces = gr.Image(label="samples", format="png")
        faces_text = gr.Markdown()
    with gr.Tab("Interpolation"):
        with gr.Row():
            seed_a = gr.Number(1, precision=0, minimum=0, maximum=MAX_SEED, label="From seed")
            seed_b = gr.Number(7, precision=0, minimum=0, maximum=MAX_SEED, label="To seed")
            path_steps = gr.Slider(2, 16, 8, step=1, label="Steps")
            mode = gr.Radio(list(PATHS), value="linear in w", label="Path",
                            info="w is where StyleGAN's styles live; a straight line in z passes near 0, an atypical code")
        path = gr.Image(label="StyleGAN2-style, from one seed to the other", format="png")
    with gr.Tab("Style mixing"):
        gr.Markdown("Left: face A; right: face B. Between them, A's w drives the layers up to 4x4, 8x8, 16x16 "
                    "and 32x32 and B's w the rest: coarse styles carry pose and face shape, fine ones colour and texture.")
        with gr.Row():
            coarse_seed = gr.Number(3, precision=0, minimum=0, maximum=MAX_SEED, label="Seed A (coarse styles)")
            fine_seed = gr.Number(11, precision=0, minimum=0, maximum=MAX_SEED, label="Seed B (fine styles)")
            mix_truncation = gr.Slider(0, 1, 0.8, step=0.05, label="Truncation ψ")
        mixed = gr.Image(label="A | A up to 4, 8, 16, 32 px, then B | B", format="png")
    with gr.Tab("2-D GAN lab"):
        with gr.Row():
            with gr.Column(scale=1):
                distribution = gr.Radio(list(DISTRIBUTIONS), value="ring of 8 Gaussians", label="Real data",
                                        info="the ring shows mode collapse best")
                loss = gr.Radio(["non-saturating", "minimax"], value="non-saturating", label="G's loss",
                                info="minimax: G's gradient vanishes while D wins")
                generator_lr = gr.Slider(1e-4, 1e-2, 1e-3, step=1e-4, label="G learning rate",
                                         info="too fast and G chases D from mode to mode")
                discriminator_lr = gr.Slider(1e-4, 1e-2, 1e-3, step=1e-4, label="D learning rate",
                                             info="D is G's loss: how quickly that loss changes")
                discriminator_steps = gr.Slider(1, 5, 1, step=1, label="D steps per G step",
                                                info="a stronger critic gives G a better signal")
                steps = gr.Slider(100, MAX_STEPS, 2000, step=100, label="Training steps",
                                  info=f"each run stops by itself (at most {MAX_SECONDS:.0f} s)")
                seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", info="same seed, same run")
                with gr.Row():
                    train = gr.Button("Train", variant="primary")
                    stop = gr.Button("Stop")
            with gr.Column(scale=2):
                game = gr.Plot(label="D's decision surface and G's samples")
                status = gr.Markdown()
        losses = gr.Plot(label="losses")

    lab_run = gr.State(LabRun())
    train.click(run_lab, [distribution, loss, generator_lr, discriminator_lr, discriminator_steps, steps, seed, lab_run],
                [game, losses, status], api_name="gan_lab", concurrency_limit=2)
    stop.click(stop_lab, lab_run, None, api_name=False, queue=False)
    face_inputs = [seeds, truncation, model_name]
    gr.on([show.click, seeds.submit, truncation.release, model_name.input], sample_faces, face_inputs, [faces, faces_text],
          api_name="sample_faces", concurrency_limit=2).then(None, face_inputs, None, js=WRITE_LINK)
    gr.on([demo.load, seed_a.change, seed_b.change, path_steps.release, mode.change], interpolate_faces,
          [seed_a, seed_b, path_steps, mode], path, api_name="interpolate")
    gr.on([demo.load, coarse_seed.change, fine_seed.change, mix_truncation.release], mix_styles,
          [coarse_seed, fine_seed, mix_truncation], mixed, api_name="mix_styles")
    demo.load(read_link, None, face_inputs, api_name=False).then(sample_faces, face_inputs, [faces, faces_text],
                                                                api_name=False)

if __name__ == "__main__":
    edge.launch(demo)
