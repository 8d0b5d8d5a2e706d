"""GANs: a discriminator is a learned loss. StyleGAN-style faces by seed; the 2-D GAN lab trains G and D live."""

import gradio as gr
import torch
import torch.nn.functional as F

from core import edge
from core.gan import DCGANGenerator, seed_codes, slerp
from core.gan_lab import DISTRIBUTIONS, MAX_SECONDS, MAX_STEPS, LabConfig, train_lab
from core.gan_lab_figures import game_figure, loss_figure
from core.hub import load_pretrained
from core.images import make_grid, to_pil
from core.seeds import MAX_SEED, parse_seeds
from core.stylegan import StyleGANGenerator

STYLEGAN_REPO, DCGAN_REPO = "manifold-lab/stylegan-faces", "manifold-lab/dcgan-faces"
TILE = 128  # 64x64 samples are shown at 2x, nearest neighbour, so pixels stay pixels (2 px gaps between)

DESCRIPTION = """# 🎭 GANs: the discriminator is a learned loss
A generator G turns random codes into images; a discriminator D learns to tell them from real data, and G
follows D's gradient. The faces come from a small **StyleGAN2-style** generator (mapping network z → w,
modulated convolutions, noise inputs) and its **DCGAN** baseline, both trained here on 1,000 faces for the
same 25 minutes. In the **2-D lab** the data are points, so you can watch the whole game."""

stylegan, stylegan_source = load_pretrained(StyleGANGenerator, STYLEGAN_REPO)
dcgan, dcgan_source = load_pretrained(DCGANGenerator, DCGAN_REPO)
GENERATORS = {"StyleGAN2-style": stylegan, "DCGAN (baseline)": dcgan}


def as_strip(images: torch.Tensor, columns: int):
    """Tiles enlarged by whole pixels (nearest), then gridded: every face pixel is an exact 2x2 block."""
    enlarged = F.interpolate(images.clamp(0, 1), scale_factor=TILE // images.shape[-1], mode="nearest")
    return to_pil(make_grid(enlarged, nrow=columns))


@edge.remember()  # seeded: what a page load shows is computed once
@torch.inference_mode()
def sample_faces(seeds_text, truncation, model_name):
    try:
        seeds = parse_seeds(seeds_text)
    except ValueError as error:
        raise gr.Error(f"Seeds: {error}") from error
    images = GENERATORS[model_name].sample(seeds, truncation=float(truncation))
    return as_strip(images, min(8, len(seeds))), (
        f"{model_name}, seeds {seeds_text} at truncation ψ = {float(truncation):.2f}. The page's link now "
        "holds these seeds: share it and the same faces appear.")


@edge.remember()  # seeded: what a page load shows is computed once
@torch.inference_mode()
def interpolate_faces(seed_a, seed_b, steps, mode):
    steps = int(steps)
    if not 2 <= steps <= 16 or seed_a is None or seed_b is None or min(seed_a, seed_b) < 0:
        raise gr.Error("Use two seeds of 0 or more and 2 to 16 steps.")
    z = seed_codes([int(seed_a), int(seed_b)], stylegan.latent_dim)
    t = torch.linspace(0, 1, steps)
    if mode == "linear in w":
        w = stylegan.map(z)
        ws = (1 - t[:, None]) * w[0] + t[:, None] * w[1]
    else:  # spherical in z keeps every code at a Gaussian's typical radius
        ws = stylegan.map(slerp(z[0], z[1], t) if mode == "spherical in z" else (1 - t[:, None]) * z[0] + t[:, None] * z[1])
    return as_strip((stylegan.synthesize(ws) + 1) / 2, steps)  # as_strip clamps to [0, 1]


@edge.remember()  # seeded: what a page load shows is computed once
@torch.inference_mode()
def mix_styles(coarse_seed, fine_seed, truncation):
    if coarse_seed is None or fine_seed is None or min(coarse_seed, fine_seed) < 0:
        raise gr.Error("Use two seeds of 0 or more.")
    a, b, psi = int(coarse_seed), int(fine_seed), float(truncation)
    crossovers = [stylegan.coarse_layers(r) for r in (4, 8, 16, 32)]
    images = [stylegan.sample([a], psi)[0]] + [stylegan.mix(a, b, c, psi)[0] for c in crossovers] + [stylegan.sample([b], psi)[0]]
    return as_strip(torch.stack(images), len(images))


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


class LabRun:
    """Per session (gr.State): Stop sets `stopped`; the running lab sees it at its next snapshot and ends
    cleanly, keeping its plots (cancelling the event instead would turn every output into an error badge)."""

    stopped = False


def run_lab(distribution, loss, generator_lr, discriminator_lr, discriminator_steps, steps, seed, run=None):
    """Stream a snapshot every 100 steps; the run ends by itself at its step or time limit, or at Stop."""
    config = LabConfig(distribution=distribution, loss=loss, generator_lr=float(generator_lr),
                       discriminator_lr=float(discriminator_lr), discriminator_steps=int(discriminator_steps),
                       steps=int(steps), seed=int(seed)).validate()
    run = run or LabRun()
    run.stopped = False
    for snap in train_lab(config):
        stopping = run.stopped and not snap.finished  # Stop was pressed since the last snapshot
        status = f"Step {snap.step} of {config.steps}; D loss {snap.discriminator_losses[-1]:.3f}, " \
                 f"G loss {snap.generator_losses[-1]:.3f}."
        if snap.modes_covered is not None:
            status += f" Modes covered: {snap.modes_covered} of 8" + (" (mode collapse)" if snap.modes_covered < 6 else "")
        if snap.finished:
            status += f" **Done: {snap.finished}.**"
        elif stopping:
            status += " **Stopped.**"
        yield game_figure(snap), loss_figure(snap), status
        if stopping:
            return


def stop_lab(run):
    if run is not None:
        run.stopped = True


with gr.Blocks(title="GANs") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tab("Faces"):
        gr.Markdown(stylegan_source.markdown() + "\n\n" + dcgan_source.markdown())
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
            mode = gr.Radio(["linear in w", "spherical in z", "linear in z"], value="linear in w", label="Path",
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
