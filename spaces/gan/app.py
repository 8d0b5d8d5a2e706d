"""GANs: a discriminator is a learned loss. The 2-D GAN lab trains G and D live in the browser."""

import gradio as gr

from core.gan_lab import DISTRIBUTIONS, MAX_SECONDS, MAX_STEPS, LabConfig, train_lab
from core.gan_lab_figures import game_figure, loss_figure

DESCRIPTION = """# 🎭 GANs: the discriminator is a learned loss
A generator G turns random codes into samples; a discriminator D learns to tell them from real data, and G
follows D's gradient. Here the data are 2-D points, so you can watch the whole game: D's decision surface
(blue = "real", red = "fake") and G's samples moving across it. The face generator of the lecture (StyleGAN-
style sampling, truncation, interpolation, style mixing) is not in this app yet."""


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

if __name__ == "__main__":
    demo.launch()
