"""Super-resolution: one network trained with L2, a deep-feature loss, or features + a GAN, beside bicubic."""

import time

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.common import edge, links
from core.common.display import WHOLE_GALLERY_CSS, example_photos, weights_note
from core.common.example_results import for_examples
from core.common.images import load_image, open_image
from core.common.metrics import psnr_y, ssim_y
from core.hub import load_pretrained
from core.super_resolution.model import (
    SuperResolutionNet,
    crop_to_multiple,
    pil_bicubic_upscale,
    pil_downscale,
    upscale,
)

SCALE = 4
REPOS = {"L2": "manifold-lab/sr-x4-l2", "perceptual": "manifold-lab/sr-x4-perceptual", "GAN": "manifold-lab/sr-x4-gan"}
MAX_HIGH_SIDE = 1024  # a known-truth input is downscaled from at most this; an as-is input is at most 1/4 of it
MIN_LOW_SIDE = 8
ZOOM_SIDE = 256  # every zoomed crop is shown this big, nearest neighbour
CAPTION = 26  # px of white under each crop for its name
MODES = {"Shrink it x4 first (the truth is known: PSNR/SSIM)": "known", "Upscale it as it is": "as-is"}
METHODS = ("bicubic", "L2", "perceptual", "GAN")
EXAMPLES = example_photos("chelsea", "coffee", "astronaut", "rocket")  # photos that ship with scikit-image

DESCRIPTION = """# 🔍 Super-resolution: the same network, three losses
Four times fewer pixels on each side: many sharp images shrink to the same small one, so the missing detail
is a guess. Trained with **L2**, the network guesses the *average* of all the plausible answers: the best PSNR,
but blurry. Trained to match **deep features** (a perceptual loss), and then also to fool a **discriminator**
(SRGAN), it commits to *one* sharp, plausible answer, and scores lower PSNR for it. Move the zoom window."""
NOTICE = """**What to notice:** on the cat (the first example, shown on opening), L2 scores the best PSNR (32.2 dB)
yet in the zoom it is as smooth as bicubic: the average of every plausible fur. The perceptual and GAN versions draw
texture (the GAN grainy fur and a crisper rim round the eye, the perceptual one a faint regular striping) and score
lower, the GAN (31.3 dB) even below bicubic (31.5 dB): invented detail is sharp, but it is not the original's. PSNR:
peak signal-to-noise ratio, closeness to the original in dB (higher = closer)."""

models, sources = {}, {}
for name, repo in REPOS.items():
    models[name], sources[name] = load_pretrained(SuperResolutionNet, repo)


def read_input(upload, mode_label):
    """(low-resolution input, the true high-resolution image or None, note on any resizing)."""
    known = MODES[mode_label] == "known"
    limit = MAX_HIGH_SIDE if known else MAX_HIGH_SIDE // SCALE
    original = open_image(upload)
    image = load_image(original, "RGB", max_side=limit, min_side=MIN_LOW_SIDE * (SCALE if known else 1))
    note = f" It was resized from {original.width}x{original.height} to fit {limit} px." if image.size != original.size else ""
    if not known:
        return image, None, note
    high = crop_to_multiple(image, SCALE)
    if high.size != image.size:
        note += f" Its sides were trimmed to multiples of {SCALE} ({high.width}x{high.height})."
    return pil_downscale(high, SCALE), high, note


@for_examples(EXAMPLES)  # a clicked example: computed once for the class
def super_resolve(upload, mode_label):
    low, high, note = read_input(upload, mode_label)
    results, seconds = {"bicubic": pil_bicubic_upscale(low, SCALE)}, {}
    for name, model in models.items():
        started = time.perf_counter()
        results[name] = upscale(model, low)
        seconds[name] = time.perf_counter() - started
    if high is not None:
        results["original"] = high
    header = "| method | PSNR (Y) | SSIM (Y) | time |\n|---|---|---|---|\n"
    rows = []
    for name in METHODS:
        time_text = f"{seconds[name] * 1000:.0f} ms" if name in seconds else "–"
        if high is not None:
            reference, test = (np.asarray(im, np.float32) / 255 for im in (high, results[name]))
            rows.append(f"| {name} | {psnr_y(reference, test, SCALE):.2f} dB | {ssim_y(reference, test, SCALE):.3f} | {time_text} |")
        else:
            rows.append(f"| {name} | – | – | {time_text} |")
    summary = (f"Input {low.width}x{low.height} → output {low.width * SCALE}x{low.height * SCALE}.{note} "
               + ("PSNR and SSIM on the luma channel, with a 4-pixel border cropped, as in the literature: higher "
                  "is closer to the original, which is not the same as sharper." if high is not None else
                  "No original is known, so there are no scores: judge by eye."))
    # arrays, not the PIL images: a remembered result's arrays are frozen, and Gradio sends a frozen picture again
    # without hashing its pixels (a class clicking an example)
    gallery = [(np.asarray(results[name]), name) for name in (*METHODS, *(["original"] if high is not None else []))]
    return gallery, header + "\n".join(rows), summary, results


def zoom(results, x_percent, y_percent, window):
    """The same window of every result, enlarged to ZOOM_SIDE with nearest neighbour: detail, not smoothing."""
    if not results:
        return None
    width, height = results["bicubic"].size
    side = max(8, min(int(window), width, height))
    left = round((width - side) * float(x_percent) / 100)
    top = round((height - side) * float(y_percent) / 100)
    crops = [image.crop((left, top, left + side, top + side)).resize((ZOOM_SIDE, ZOOM_SIDE), Image.Resampling.NEAREST)
             for image in results.values()]
    strip = Image.new("RGB", (len(crops) * (ZOOM_SIDE + 4) - 4, ZOOM_SIDE + CAPTION), "white")
    draw, font = ImageDraw.Draw(strip), ImageFont.load_default(size=CAPTION - 8)
    for index, (name, crop) in enumerate(zip(results, crops, strict=True)):
        strip.paste(crop, (index * (ZOOM_SIDE + 4), 0))
        draw.text((index * (ZOOM_SIDE + 4) + ZOOM_SIDE // 2, ZOOM_SIDE + CAPTION // 2), name, fill="black",
                  font=font, anchor="mm")  # each crop says what it is, in the picture a teacher saves
    return strip


def run(upload, mode_label, x_percent, y_percent, window):
    gallery, table, summary, results = super_resolve(upload, mode_label)
    return gallery, table, summary, results, zoom(results, x_percent, y_percent, window)


def run_when_changed(upload, mode_label, x_percent, y_percent, window):
    """A new upload or a clicked example runs at once; clearing the image leaves the results alone."""
    if upload is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    return run(upload, mode_label, x_percent, y_percent, window)


CSS = WHOLE_GALLERY_CSS  # the galleries fit their rows

with gr.Blocks(title="Super-resolution") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note(sources))
    results_state = gr.State({})
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.Image(label="Image", type="filepath", image_mode=None)
            mode = gr.Radio(list(MODES), value=list(MODES)[0], label="Input")
            button = gr.Button("Super-resolve x4", variant="primary")
            photo_examples = gr.Examples([[path] for path in EXAMPLES], [upload],
                        label="Photos from scikit-image (not used in training)")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="bicubic | L2 | perceptual | GAN | original", columns=5, height="auto",
                                 format="png", elem_classes="whole-gallery")
            table = gr.Markdown()
            summary = gr.Markdown()
    gr.Markdown("### Zoom: the same window in each, 4x enlarged")
    with gr.Row():
        x_percent = gr.Slider(0, 100, 50, step=1, label="window left ↔ right (%)")
        y_percent = gr.Slider(0, 100, 40, step=1, label="window top ↕ bottom (%)")
        window = gr.Slider(16, 256, 64, step=8, label="window side (output pixels)")
    zoomed = gr.Image(label="bicubic | L2 | perceptual | GAN | original", format="png")
    gr.Markdown(NOTICE)
    links.copy_button(links.NOTE_WITH_UPLOADS)

    link = links.Link({"input": mode, "x": x_percent, "y": y_percent, "window": window},
                      examples={"example": photo_examples}, shown_first={"example": 0})
    sr_inputs, sr_outputs = [upload, mode, x_percent, y_percent, window], [gallery, table, summary, results_state, zoomed]
    button.click(run, sr_inputs, sr_outputs, api_name="super_resolve", concurrency_limit=2)
    gr.on([upload.change, mode.change], run_when_changed, sr_inputs, sr_outputs, api_name=False, concurrency_limit=2)
    gr.on([x_percent.input, y_percent.input, window.input], zoom, [results_state, x_percent, y_percent, window],
          zoomed, api_name=False, show_progress="hidden")
    link.restore(demo)  # a shared link's settings and example (else the first): upload.change then runs it

if __name__ == "__main__":
    edge.launch(demo, css=CSS)
