"""Denoising: a trained network against classical filters, and a denoising autoencoder on digits."""

import time

import gradio as gr
import numpy as np
import torch

from core.autoencoder.model import ConvAutoencoder
from core.common import corruptions, edge, links
from core.common.display import WHOLE_GALLERY_CSS, centre_crop, example_photos, pixel_grid, weights_note
from core.common.example_results import for_examples
from core.common.images import load_image, to_uint8
from core.common.metrics import psnr, ssim
from core.common.mnist import example_digits
from core.common.seeds import MAX_SEED
from core.denoising.classical import CLASSICAL, estimate_noise
from core.denoising.model import DenoisingUNet
from core.hub import load_pretrained

DENOISER_REPO = "manifold-lab/natural-image-denoiser"
DIGITS_REPO = "manifold-lab/digits-denoising-autoencoder"
MAX_SIDE = 512  # larger uploads are downscaled first: bounded time for non-local means
NOISE_KINDS = {"Gaussian": "gaussian", "salt and pepper": "salt_and_pepper", "missing pixels": "mask"}
UNSEEN_NOISE = ("\n\n**What to notice:** the trained network saw only Gaussian noise in training (σ from 0 to 55/255). "
                "This noise is outside everything it learned, so it does little here, while the median filter, made for "
                "noise that replaces pixels, does well. A learned denoiser is only as good as the noise it was "
                "trained on; a classical filter is only as good as its assumption.")
DESCRIPTION = """# 🧽 Denoising
A denoiser learns what natural images look like, so it can tell image from noise. Compare a small trained
network with classical filters that only know "images are smooth" (PSNR and SSIM against the clean image)."""
# What a student should see in each tab's result at its default settings (checked against what it shows).
NOTICES = {
    "photos": "**What to notice:** pick any example at the default Gaussian noise (σ = 25/255): the trained "
              "network scores best and non-local means second. In the zoom the network's output is clean with "
              "sharp edges, while the Gaussian blur leaves soft blotches and the 3x3 median grain. PSNR (peak "
              "signal-to-noise ratio, in dB: higher is closer to the clean image; each +3 dB halves the squared "
              "error) and SSIM (structural similarity, 1 = identical) rank the methods the same way.",
    "digits": "**What to notice:** 40% of the pixels of digit #7 (a zero) are dropped to black, yet the denoising "
              "autoencoder returns a whole, unbroken zero (PSNR 11.4 → 19.7 dB). It is never told which pixels "
              "are missing: it learned what digits look like and projects the input back onto the digit manifold, "
              "smoothing away the original's small hook at the top too.",
}

denoiser, denoiser_source = load_pretrained(DenoisingUNet, DENOISER_REPO)
digits_model, digits_source = load_pretrained(ConvAutoencoder, DIGITS_REPO)
digits, _ = example_digits()
EXAMPLES = example_photos("astronaut", "chelsea", "coffee")


def add_noise(image: np.ndarray, kind: str, level: float, seed: int) -> np.ndarray:
    """level: sigma in /255 for Gaussian noise, percent of pixels for the others."""
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None].float() if image.ndim == 3 else \
        torch.from_numpy(image)[None, None].float()
    amount = level / 255 if kind == "gaussian" else level / 100
    noisy = corruptions.corrupt(tensor, kind, float(amount), torch.Generator().manual_seed(int(seed)))
    noisy = noisy.clamp(0, 1)  # a camera clips too; every method sees the same valid image
    return (noisy[0].permute(1, 2, 0) if image.ndim == 3 else noisy[0, 0]).numpy()


@for_examples(EXAMPLES)  # a clicked example: computed once for the class
@torch.inference_mode()
def denoise_photo(upload, kind_label, level, seed, add):
    clean = np.asarray(load_image(upload, "RGB", max_side=MAX_SIDE, min_side=16), dtype=np.float32) / 255
    noisy = add_noise(clean, NOISE_KINDS[kind_label], float(level), seed) if add else clean
    results = {}
    started = time.perf_counter()
    network = denoiser(torch.from_numpy(noisy).permute(2, 0, 1)[None])[0].permute(1, 2, 0).clamp(0, 1).numpy()
    results["trained network"] = (network, time.perf_counter() - started)
    sigma = estimate_noise(noisy)
    for name, method in CLASSICAL.items():
        started = time.perf_counter()
        results[name] = (np.clip(method(noisy, sigma), 0, 1), time.perf_counter() - started)
    gallery = [(to_uint8(noisy), "input" if not add else f"noisy: {psnr(clean, noisy):.2f} dB")]
    rows = []
    for name, (output, seconds) in results.items():
        if add:
            quality = (psnr(clean, output), ssim(clean, output))
            gallery.append((to_uint8(output), f"{name}: {quality[0]:.2f} dB"))
            rows.append((quality[0], f"| {name} | {quality[0]:.2f} | {quality[1]:.3f} | {seconds * 1000:.0f} |"))
        else:
            gallery.append((to_uint8(output), name))
            rows.append((0, f"| {name} | – | – | {seconds * 1000:.0f} |"))
    if add:
        gallery.append((to_uint8(clean), "clean"))
    rows.sort(key=lambda r: -r[0])
    zoomed = [(zoom(image), caption) for image, caption in gallery]
    table = ("| method | PSNR (dB) ↑ | SSIM ↑ | time (ms) |\n|---|---|---|---|\n" + "\n".join(r[1] for r in rows)
             + f"\n\nImage {clean.shape[1]}x{clean.shape[0]}; the classical filters were tuned from the "
             f"estimated noise level σ ≈ {sigma * 255:.1f}/255." + ("" if add else " No clean image: no scores.")
             + ("" if NOISE_KINDS[kind_label] == "gaussian" or not add else UNSEEN_NOISE))
    return gallery, zoomed, table


def zoom(image: np.ndarray) -> np.ndarray:
    """The centre 96x96 pixels, each a 3x3 block: where methods differ."""
    return pixel_grid(centre_crop(image, 96)[None] / 255, scale=3)


@torch.inference_mode()
def denoise_digit(index, kind_label, level, seed):
    clean = digits[int(index)]
    noisy = add_noise(clean, NOISE_KINDS[kind_label], float(level), seed)
    output = digits_model(torch.from_numpy(noisy)[None, None])[0][0, 0].numpy()
    text = f"Noisy: {psnr(clean, noisy):.2f} dB → denoising autoencoder: **{psnr(clean, output):.2f} dB**."
    return pixel_grid(np.stack([clean, noisy, output]), scale=6), text


def denoise_when_changed(upload, kind_label, level, seed, add):
    """A new upload or a clicked example runs at once; clearing the photo leaves the results alone."""
    if upload is None:
        return gr.skip(), gr.skip(), gr.skip()
    return denoise_photo(upload, kind_label, level, seed, add)


CSS = WHOLE_GALLERY_CSS  # the galleries fit their rows

with gr.Blocks(title="Denoising") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tabs() as tabs:
        with gr.Tab("Photos", id="photos"):
            gr.Markdown(weights_note({"": denoiser_source}))
            with gr.Row():
                with gr.Column():
                    upload = gr.Image(type="filepath", image_mode=None, label="Photo", sources=["upload", "clipboard"], height=280)
                    photo_examples = gr.Examples([[path] for path in EXAMPLES], inputs=[upload])
                with gr.Column():
                    kind = gr.Radio(list(NOISE_KINDS), value="Gaussian", label="Noise type",
                                    info="the network was trained on Gaussian noise only")
                    level = gr.Slider(0, 100, 25, step=1, label="Noise level",
                                      info="Gaussian: σ in units of 1/255 (25 is the benchmark); others: % of pixels")
                    seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Noise seed", info="same seed, same draw: share it to reproduce a view")
                    add = gr.Checkbox(True, label="Add noise", info="untick to denoise a photo that is already noisy")
                    run = gr.Button("Add noise and denoise", variant="primary")
            zoomed = gr.Gallery(label="zoom: the centre 96x96 pixels of each, enlarged 3x", columns=4, height="auto",
                                format="png", elem_classes="whole-gallery")
            results = gr.Gallery(label="whole images: noisy, each method, clean", columns=4, height="auto",
                                 format="png", elem_classes="whole-gallery")
            table = gr.Markdown()
            gr.Markdown(NOTICES["photos"])
            links.copy_button(links.NOTE_WITH_UPLOADS)
        with gr.Tab("Digits (denoising autoencoder)", id="digits"):
            gr.Markdown("The same autoencoder network, trained to map corrupted digits to clean ones, learns to "
                        "project back onto the digit manifold.\n\n" + weights_note({"": digits_source}))
            with gr.Row():
                index = gr.Slider(0, len(digits) - 1, 7, step=1, label="Digit #")
                digit_kind = gr.Radio(list(NOISE_KINDS), value="missing pixels", label="Noise type")
                digit_level = gr.Slider(0, 100, 40, step=1, label="Noise level")
                digit_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", info="same seed, same draw: share it to reproduce a view")
            digit_strip = gr.Image(label="clean | noisy | denoised", format="png")
            digit_text = gr.Markdown()
            gr.Markdown(NOTICES["digits"])
            links.copy_button()

    link = links.Link({"noise": kind, "level": level, "seed": seed, "add": add, "digit": index,
                       "digit_noise": digit_kind, "digit_level": digit_level, "digit_seed": digit_seed}, tabs,
                      examples={"example": photo_examples}, shown_first={"example": 0})  # opens on a result
    run.click(denoise_photo, [upload, kind, level, seed, add], [results, zoomed, table], api_name="denoise",
              concurrency_limit=2)
    upload.change(denoise_when_changed, [upload, kind, level, seed, add], [results, zoomed, table], api_name=False,
                  concurrency_limit=2)
    digit_inputs = [index, digit_kind, digit_level, digit_seed]
    # what a person does (typing, dragging, picking), not `change`: a shared link sets these too, and a change event
    # fired while the page restored them read a value not yet restored (CI: a link's level 60 showed level 40's
    # result); the link's own event computes its result (core.common.links)
    gr.on([c.input for c in digit_inputs], denoise_digit, digit_inputs, [digit_strip, digit_text],
          api_name="denoise_digit", show_progress="hidden", trigger_mode="always_last")
    # a shared link's settings, tab and example (which runs through upload.change), and the digit on show
    link.restore(demo, shown=[links.Shown(denoise_digit, digit_inputs, [digit_strip, digit_text])])

if __name__ == "__main__":
    edge.launch(demo, css=CSS)
