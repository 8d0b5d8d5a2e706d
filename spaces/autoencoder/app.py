"""Autoencoder: reconstructions, the 2-D latent map of digits, its holes, and latent interpolation."""

import gradio as gr
import numpy as np
import torch

from core.autoencoder import latent
from core.autoencoder.drawing import to_mnist
from core.autoencoder.model import ConvAutoencoder
from core.common import edge, links
from core.common.display import pixel_grid, select_brush_on_load, weights_note
from core.common.images import ImageInputError, cross_fade
from core.common.mnist import example_digits
from core.common.seeds import MAX_SEED
from core.hub import load_pretrained

REPO_ID = "manifold-lab/digits-autoencoder"
VAE_REPO_ID = "manifold-lab/digits-vae"
DESCRIPTION = """# 🗜️ Autoencoders: a learned map of the digit manifold
An autoencoder squeezes each 28x28 digit (784 numbers) through a **2-number code** and back. The codes
form a map of the data; points on the map between the digits decode to things that are not digits."""
# What a student should see in each tab's result at its default settings (checked against what it shows).
NOTICES = {
    "reconstruct": "**What to notice:** press *Encode and decode* with an empty canvas: example #0, a zero, comes "
                   "back a zero, but softer and rounder, without its small inner stroke. Two numbers keep the "
                   "digit's class and rough shape, not its exact strokes (MSE 0.035, i.e. 14.6 dB PSNR: peak "
                   "signal-to-noise ratio, higher = closer). On the map its code lands among the zeros and sixes.",
    "latent": "**What to notice:** the page starts at the codes' average (z1 = -0.8, z2 = 1.9), on the data, and "
              "decodes to a blurry 5. Drag a slider towards an empty part of the map: the note turns to *off the "
              "data* and the picture to a blend or a blob. In the grid below, 7s, 1s and 0s fill large areas while "
              "the other digits squeeze into the middle, and strokes grow faint towards the right-hand edge.",
    "vae": "**What to notice:** press *Decode random codes*: 3 of the autoencoder's 16 samples are blobs (the 2nd, "
           "5th and 11th), while all 16 of the VAE's are digits, if blurry. The KL penalty (how far each digit's "
           "Gaussian strays from N(0, I), the standard normal) packed its codes into one ball, but did not close "
           "every hole: see the shares above the maps.",
    "interpolate": "**What to notice:** from #60 (a 1) to #360 (a 7), pixel space gives double exposures; the "
                   "latent path decodes to one digit per frame, passing through 8-, 6- and 9-like shapes: the "
                   "clusters the straight path crosses on the map below.",
}

model, weights = load_pretrained(ConvAutoencoder, REPO_ID)
digits, labels = example_digits()
codes = latent.encode_all(model, digits)
low, high = latent.extent(codes)
grid_image = latent.decoded_grid(model, low, high, steps=15)
vae, vae_weights = load_pretrained(ConvAutoencoder, VAE_REPO_ID)
vae_codes = latent.encode_all(vae, digits)
vae_low, vae_high = latent.extent(vae_codes)
HOLE_SHARES = latent.hole_shares(codes, vae_codes)  # (autoencoder, VAE), measured at start-up
HOLES = ("Draw 2,000 random codes (the VAE from its N(0, I) prior; the autoencoder, which has no prior, from a "
         "Gaussian fitted to its codes) and count those farther than 2x the typical spacing from every test "
         f"digit's code: autoencoder **{HOLE_SHARES[0]:.0%}** in holes, VAE **{HOLE_SHARES[1]:.0%}**.")


def reconstruct(drawing, index):
    """Reconstruct a drawn digit if there is one, else the chosen example."""
    try:
        image = to_mnist(drawing) if drawing is not None else None
    except ImageInputError:  # an empty canvas: use the chosen example instead
        image = None
    if image is None:
        return reconstruct_example.served(int(index))
    return reconstruct_image(image, "Your drawing")


@edge.remember(maxsize=64, images_as_files=True)  # a class reconstructs the same example digits: once each
def reconstruct_example(index):
    return reconstruct_image(digits[index], f"Example digit #{index}")


@torch.inference_mode()
def reconstruct_image(image, what):
    code = model.encode(torch.from_numpy(image)[None, None].float())
    output = model.decode(code)[0, 0].numpy()
    mse = float(np.mean((output - image) ** 2))
    z = code[0].numpy()
    text = f"{what}: code z = ({z[0]:+.2f}, {z[1]:+.2f}); reconstruction MSE {mse:.4f} ({-10 * np.log10(mse):.1f} dB PSNR)."
    return pixel_grid(np.stack([image, output]), scale=6), latent.latent_map(codes, labels, point=z), text


@edge.remember(images_as_files=True)  # the model is fixed: a default view is built once, not per visitor
def decode_point(z1, z2):
    point = np.array([float(z1), float(z2)])
    image = latent.decode_points(model, point[None])[0]
    nearest, spacing = latent.distance_to_data(codes, point)
    where = "on the data" if nearest < 2 * spacing else "**off the data: a hole in the map**"
    text = (f"Nearest data code is {nearest:.2f} away ({nearest / spacing:.1f}x the typical spacing between "
            f"neighbouring digits): {where}.")
    return pixel_grid(image[None], scale=8), latent.latent_map(codes, labels, point=point), text


@edge.remember(images_as_files=True)  # seeded: a class asking for the same draw shares one
@torch.inference_mode()
def sample_prior(count, seed):
    """Decode codes drawn from N(0, I) (the VAE's prior) with both models."""
    z = torch.randn(int(count), 2, generator=torch.Generator().manual_seed(int(seed)))
    scale = torch.from_numpy(codes.std(axis=0)).float()  # the AE has no prior: use its codes' spread
    from_ae = model.decode(z * scale + torch.from_numpy(codes.mean(axis=0)).float())[:, 0].numpy()
    return pixel_grid(from_ae, scale=3), pixel_grid(vae.decode(z)[:, 0].numpy(), scale=3)


@edge.remember(images_as_files=True)  # the model is fixed: a default view is built once, not per visitor
def interpolate(first, second, steps):
    first, second, steps = int(first), int(second), int(steps)
    t = np.linspace(0, 1, steps)[:, None]
    path = (1 - t) * codes[first] + t * codes[second]
    pixel = pixel_grid(cross_fade(digits[first], digits[second], steps), scale=3)
    decoded = pixel_grid(latent.decode_points(model, path), scale=3)
    return pixel, decoded, latent.latent_map(codes, labels, path=path)


with gr.Blocks(title="Autoencoders") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note({"autoencoder": weights, "VAE": vae_weights}))
    with gr.Tabs() as tabs:
        with gr.Tab("Reconstruct", id="reconstruct"):
            gr.Markdown("Draw a digit or pick one of 500 MNIST test digits: the network encodes it to 2 numbers "
                        "and decodes it back. What survives is what the code can hold.")
            with gr.Row():
                with gr.Column():
                    drawing = gr.Sketchpad(label="Draw a digit (optional)", type="numpy", canvas_size=(280, 280),
                                           fixed_canvas=True, height=380)
                    index = gr.Slider(0, len(digits) - 1, 0, step=1, label="Or an example digit #",
                                      info="used when the canvas is empty")
                    run = gr.Button("Encode and decode", variant="primary")
                with gr.Column():
                    pair = gr.Image(label="input | reconstruction", format="png")
                    rec_text = gr.Markdown()
                links.copy_button("The link holds the example digit's number, never your drawing.")
            rec_map = gr.Plot(label="where the code lands")
            gr.Markdown(NOTICES["reconstruct"])
        with gr.Tab("Latent map and its holes", id="latent"):
            gr.Markdown("Move through the code space. Near a cluster you decode that digit; between clusters or "
                        "outside them you get blends and blobs: not every latent point is on the manifold.")
            with gr.Row():
                z1 = gr.Slider(round(float(low[0]), 1), round(float(high[0]), 1), round(float(codes[:, 0].mean()), 1),
                               step=0.1, label="z1", info="first code number")
                z2 = gr.Slider(round(float(low[1]), 1), round(float(high[1]), 1), round(float(codes[:, 1].mean()), 1),
                               step=0.1, label="z2", info="second code number")
            with gr.Row():
                decoded = gr.Image(label="decode(z1, z2)", format="png", scale=1)
                point_map = gr.Plot(label="the latent map", scale=3)
            point_text = gr.Markdown()
            links.copy_button()
            gr.Image(grid_image, label="decoded grid over the whole map (same axes as the plot)", format="png",
                     interactive=False)
            gr.Markdown(NOTICES["latent"])
        with gr.Tab("VAE: filling the holes", id="vae"):
            gr.Markdown("A **variational** autoencoder encodes each digit to a small Gaussian and is penalised (KL) "
                        "for straying from N(0, I): the codes pack into one ball, the holes shrink, and decoding a "
                        "random code from N(0, I) gives a digit. That makes it a generative model.")
            gr.Markdown(HOLES)
            with gr.Row():
                gr.Plot(latent.latent_map(codes, labels), label="autoencoder latent map")
                gr.Plot(latent.latent_map(vae_codes, labels), label="VAE latent map")
            with gr.Row():
                gr.Image(grid_image, label="autoencoder: decoded grid", format="png", interactive=False)
                gr.Image(latent.decoded_grid(vae, vae_low, vae_high, steps=15), label="VAE: decoded grid", format="png",
                         interactive=False)
            with gr.Row():
                how_many = gr.Slider(1, 32, 16, step=1, label="Samples", info="codes drawn at random")
                prior_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", info="same seed, same draw: share it to reproduce a view")
                draw = gr.Button("Decode random codes", variant="primary")
            ae_samples = gr.Image(label="autoencoder, codes drawn like its data's spread", format="png")
            vae_samples = gr.Image(label="VAE, codes drawn from N(0, I)", format="png")
            gr.Markdown(NOTICES["vae"])
            links.copy_button()
        with gr.Tab("Interpolate", id="interpolate"):
            gr.Markdown("Pixel space cross-fades two digits into a double exposure; the latent path decodes to a "
                        "sequence of digit-like images, passing through the classes that lie between.")
            with gr.Row():
                first = gr.Slider(0, len(digits) - 1, 60, step=1, label="From digit #")
                second = gr.Slider(0, len(digits) - 1, 360, step=1, label="To digit #")
                steps = gr.Slider(3, 12, 8, step=1, label="Steps")
            pixel_strip = gr.Image(label="pixel space", format="png")
            latent_strip = gr.Image(label="latent space", format="png")
            path_map = gr.Plot(label="the path in latent space")
            gr.Markdown(NOTICES["interpolate"])
            links.copy_button()

    link = links.Link({"digit": index, "z1": z1, "z2": z2, "samples": how_many, "seed": prior_seed, "from": first,
                       "to": second, "steps": steps}, tabs)
    select_brush_on_load(demo)
    run.click(reconstruct, [drawing, index], [pair, rec_map, rec_text], api_name="reconstruct")
    index.change(reconstruct, [drawing, index], [pair, rec_map, rec_text], api_name=False)
    # what a person does, not `change`: see interpolation's below
    gr.on([z1.input, z2.input], decode_point, [z1, z2], [decoded, point_map, point_text], api_name="decode",
          show_progress="hidden", trigger_mode="always_last")
    # what a person does (typing, dragging), not `change`: a shared link sets these too, and a change event
    # fired while the page restores them could read a value not yet restored (core.common.links runs the link's)
    gr.on([c.input for c in (first, second, steps)], interpolate, [first, second, steps],
          [pixel_strip, latent_strip, path_map], api_name="interpolate", trigger_mode="always_last")
    draw.click(sample_prior, [how_many, prior_seed], [ae_samples, vae_samples], api_name="sample_prior")
    # a shared link's settings and tab, and each result it shows on load, in one call (cached at defaults)
    link.restore(demo, shown=[links.Shown(decode_point, [z1, z2], [decoded, point_map, point_text]),
                              links.Shown(interpolate, [first, second, steps], [pixel_strip, latent_strip, path_map])])
    link.run_if_set(sample_prior, [how_many, prior_seed], [ae_samples, vae_samples])

if __name__ == "__main__":
    edge.launch(demo)
