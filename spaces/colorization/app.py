"""Colourization: L2 regression vs classification over ab bins (Zhang, Isola & Efros 2016), side by side."""


import gradio as gr
import numpy as np

from core.colorization.model import Colorizer
from core.colorization.view import (
    colorize_both,
    is_grayscale,
    pixel_distribution,
    redecode,
    scores,
    telling_pixel,
)
from core.common import edge, links
from core.common.display import example_photos, weights_note
from core.common.example_results import for_examples
from core.common.images import load_image, to_uint8
from core.hub import load_pretrained

L2_REPO = "manifold-lab/colorizer-l2"
CLASSIFICATION_REPO = "manifold-lab/colorizer-classification"
MAX_SIDE = 512
DESCRIPTION = """# 🎨 Colourization: why L2 gives sepia and classification gives colour
Given only lightness, a shirt could be red or blue. **L2 regression** averages the possibilities: greyish,
desaturated colour. **Classification** over quantized ab colours keeps the whole distribution; with class
rebalancing and an *annealed mean* readout it commits to vivid colours: plausible where lightness says enough
(sky, foliage, skin), a confident guess where it does not."""
NOTICE = """**What to notice:** on the cat (the first example, shown on opening), L2 gives an even sepia, less
colourful than the original (colourfulness 32.7 against 38.0; colourfulness measures how saturated and varied the
colours are). Classification commits to colours (43.5), but they are guesses from lightness alone: the background
turns partly blue and the fur partly olive, where the original is pink-grey and ginger. Click a pixel of its result
to see the colours it weighed there."""

l2_model, l2_source = load_pretrained(Colorizer, L2_REPO)
class_model, class_source = load_pretrained(Colorizer, CLASSIFICATION_REPO)
centers = class_model.ab_centers.numpy()
EXAMPLES = example_photos("chelsea", "coffee", "astronaut", "rocket")  # photos that ship with scikit-image


def read(upload) -> tuple[np.ndarray, np.ndarray | None]:
    """(RGB float image, the same as 'original' or None when the upload had no colour)."""
    rgb = np.asarray(load_image(upload, "RGB", max_side=MAX_SIDE, min_side=8), dtype=np.float32) / 255
    return rgb, (None if is_grayscale(rgb) else rgb)


def present(result, original, temperature):
    """Images, scores and one telling pixel's distribution for one colourized photo (click another to see it)."""
    gray = np.repeat(result.lightness[..., None] / 100, 3, axis=2)
    text = scores(result, original)
    if original is None:
        text += "\n\nThe photo had no colour, so there is no ground truth to compare with."
    figure = pixel_distribution(result, centers, *telling_pixel(result), float(temperature), original)
    shown = [to_uint8(image) if image is not None else None for image in (gray, result.l2, result.classification, original)]
    return *shown, text, figure


@for_examples(EXAMPLES)  # a clicked example: computed once for the class
def colorize(upload, temperature):
    rgb, original = read(upload)
    result = colorize_both(rgb, l2_model, class_model, float(temperature))
    return *present(result, original, temperature), (result, original)


def recolor(state, temperature):
    """Temperature moved: re-decode the stored distribution (no network run); nothing to do without a photo."""
    if state is None:
        return tuple(gr.skip() for _ in range(7))
    result, original = state
    result = redecode(result, centers, float(temperature))
    return *present(result, original, temperature), (result, original)


def colorize_shared(upload, temperature):
    """A new photo (an upload, a clicked example, a shared link's example) colourized at once; none: nothing to do."""
    return colorize(upload, temperature) if upload else tuple(gr.skip() for _ in range(7))


def inspect_pixel(state, temperature, event: gr.SelectData):
    """A click on the result: that pixel's distribution, from the stored prediction."""
    if state is None:
        raise gr.Error("Colourize a photo first, then click a pixel of the result.")
    result, original = state
    index = event.index if isinstance(event.index, (list, tuple)) and len(event.index) == 2 else (None, None)
    height, width = result.lightness.shape
    x, y = edge.number(index[0], "Pixel x", 0, width - 1), edge.number(index[1], "Pixel y", 0, height - 1)
    return pixel_distribution(result, centers, x, y, float(temperature), original)


with gr.Blocks(title="Colourization") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note({"L2": l2_source, "classification": class_source}))
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.Image(type="filepath", image_mode=None, label="Photo (colour or black-and-white)", height=260)
            photo_examples = gr.Examples([[path] for path in EXAMPLES], inputs=[upload])
            temperature = gr.Slider(0.05, 1.0, 0.8, step=0.01, label="Annealed-mean temperature T",
                                    info="1 = the mean (like L2); → 0 = the most likely colour. 0.8: as colourful as "
                                         "real photos (measured); the paper's 0.38 overshoots")
            run = gr.Button("Colourize", variant="primary")
        with gr.Column(scale=2):
            with gr.Row():
                gray = gr.Image(label="input: lightness L only", format="png", interactive=False)
                original = gr.Image(label="original colours", format="png", interactive=False)
            with gr.Row():
                l2_out = gr.Image(label="L2 regression", format="png", interactive=False)
                class_out = gr.Image(label="classification (click a pixel)", format="png", interactive=False)
    with gr.Row():
        table = gr.Markdown()
        distribution = gr.Plot(label="the colours the classifier considers at the clicked pixel")
    gr.Markdown(NOTICE)
    links.copy_button(links.NOTE_WITH_UPLOADS)

    prediction = gr.State()  # per user: the last result (with its distribution) and the original
    outputs = [gray, l2_out, class_out, original, table, distribution, prediction]
    run.click(colorize, [upload, temperature], outputs, api_name="colorize")
    upload.change(colorize_shared, [upload, temperature], outputs, api_name=False)  # an example click runs at once
    # .input, not .release: a value typed into the slider's box fires input (and never release); always_last keeps
    # a drag to two runs (the first and the last value)
    temperature.input(recolor, [prediction, temperature], outputs, api_name=False, trigger_mode="always_last")
    class_out.select(inspect_pixel, [prediction, temperature], distribution, api_name=False)
    link = links.Link({"T": temperature}, examples={"example": photo_examples}, shown_first={"example": 0})
    link.restore(demo)
    link.run_if_set(colorize_shared, [upload, temperature], outputs)

if __name__ == "__main__":
    edge.launch(demo)
