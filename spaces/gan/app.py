"""GANs: a discriminator is a learned loss. The 2-D GAN lab trains G and D live in the browser."""

import gradio as gr
import torch

from core.gan import DCGANGenerator, seed_codes, slerp
from core.gan_lab import DISTRIBUTIONS, MAX_SECONDS, MAX_STEPS, LabConfig, train_lab
from core.gan_lab_figures import game_figure, loss_figure
from core.hub import load_pretrained
from core.images import make_grid, to_pil

FACES_REPO = "manifold-lab/dcgan-faces"

DESCRIPTION = """# 🎭 GANs: the discriminator is a learned loss
A generator G turns random codes into samples; a discriminator D learns to tell them from real data, and G
follows D's gradient. In the 2-D lab the data are points, so you can watch the whole game: D's decision
surface (blue = "real", red = "fake") and G's samples moving across it. The face generator of the lecture (StyleGAN-
style sampling and style mixing) is not in this app yet; its DCGAN baseline, trained here on 1,000 faces, is."""

generator, generator_source = load_pretrained(DCGANGenerator, FACES_REPO)


@torch.inference_mode()
def sample_faces(first_seed, count, truncation):
    first_seed, count = int(first_seed), int(count)
    if not 1 <= count <= 64 or first_seed < 0:
        raise gr.Error("Choose 1 to 64 faces and a seed of 0 or more.")
    seeds = list(range(first_seed, first_seed + count))
    images = generator.sample(seeds, truncation=float(truncation))
    grid = to_pil(make_grid(images, nrow=min(8, count)).clamp(0, 1)).resize(
        (min(8, count) * 128, -(-count // 8) * 128), resample=0)
    return grid, f"Seeds {seeds[0]}-{seeds[-1]} at truncation {float(truncation):.2f}: the same seeds always give these faces."


@torch.inference_mode()
def interpolate_faces(seed_a, seed_b, steps, mode):
    steps = int(steps)
    if not 2 <= steps <= 16:
        raise gr.Error("Use 2 to 16 steps.")
    a, b = seed_codes([int(seed_a), int(seed_b)], generator.latent_dim)
    t = torch.linspace(0, 1, steps)
    codes = slerp(a, b, t) if mode == "spherical" else (1 - t[:, None]) * a + t[:, None] * b
    images = (generator(codes) + 1) / 2
    norms = ", ".join(f"{n:.1f}" for n in codes.norm(dim=1).tolist())
    return to_pil(make_grid(images, nrow=steps)).resize((steps * 128, 128), resample=0), f"|z| along the path: {norms}"



def run_lab(distribution, loss, generator_lr, discriminator_lr, discriminator_steps, steps, seed):
    """Stream a snapshot every 100 steps; the run ends by itself at its step or time limit."""
    try:
        config = LabConfig(distribution=distribution, loss=loss, generator_lr=float(generator_lr),
                           discriminator_lr=float(discriminator_lr), discriminator_steps=int(discriminator_steps),
                           steps=int(steps), seed=int(seed)).validate()
    except ValueError as error:
        raise gr.Error(str(error)) from error
    for snap in train_lab(config):
        status = f"Step {snap.step} of {config.steps}; D loss {snap.discriminator_losses[-1]:.3f}, " \
                 f"G loss {snap.generator_losses[-1]:.3f}."
        if snap.modes_covered is not None:
            status += f" Modes covered: {snap.modes_covered} of 8" + (" (mode collapse)" if snap.modes_covered < 6 else "")
        if snap.finished:
            status += f" **Done: {snap.finished}.**"
        yield game_figure(snap), loss_figure(snap), status


with gr.Blocks(title="GANs") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tab("Faces (DCGAN)"):
        gr.Markdown(generator_source.markdown())
        with gr.Row():
            first_seed = gr.Number(0, precision=0, label="First seed", info="face i comes from seed i, always")
            count = gr.Slider(1, 64, 16, step=1, label="Faces", info="a grid of consecutive seeds")
            truncation = gr.Slider(0, 1.5, 1.0, step=0.05, label="Truncation",
                                   info="shrink z towards 0: more typical faces, less variety; 0 = one 'average' face")
        faces = gr.Image(label="samples", format="png")
        faces_text = gr.Markdown()
        with gr.Row():
            seed_a = gr.Number(1, precision=0, label="From seed")
            seed_b = gr.Number(7, precision=0, label="To seed")
            path_steps = gr.Slider(2, 16, 8, step=1, label="Steps")
            mode = gr.Radio(["spherical", "linear"], value="spherical", label="Path in z",
                            info="linear paths pass near 0, where z is atypical")
        path = gr.Image(label="interpolation", format="png")
        path_text = gr.Markdown()
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
                seed = gr.Number(0, precision=0, label="Seed", info="same seed, same run")
                with gr.Row():
                    train = gr.Button("Train", variant="primary")
                    stop = gr.Button("Stop")
            with gr.Column(scale=2):
                game = gr.Plot(label="D's decision surface and G's samples")
                status = gr.Markdown()
        losses = gr.Plot(label="losses")

    event = train.click(run_lab, [distribution, loss, generator_lr, discriminator_lr, discriminator_steps, steps, seed],
                        [game, losses, status], api_name="gan_lab", concurrency_limit=2)
    stop.click(None, cancels=[event])
    for control in (first_seed, count, truncation):
        control.change(sample_faces, [first_seed, count, truncation], [faces, faces_text], api_name=False)
    for control in (seed_a, seed_b, path_steps, mode):
        control.change(interpolate_faces, [seed_a, seed_b, path_steps, mode], [path, path_text], api_name=False)
    demo.load(sample_faces, [first_seed, count, truncation], [faces, faces_text], api_name="sample_faces")
    demo.load(interpolate_faces, [seed_a, seed_b, path_steps, mode], [path, path_text], api_name="interpolate")

if __name__ == "__main__":
    demo.launch()
