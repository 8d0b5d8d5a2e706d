"""pix2pix: the same U-Net trained with L1 alone and with L1 + a conditional GAN, side by side, on five tasks."""

import contextlib
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from core.common import edge
from core.common.display import palette_legend, pixel_grid, select_brush_on_load, weights_note
from core.common.images import load_image
from core.hub import WeightsNotFoundError, load_pretrained, override_variable
from core.image_prediction.camvid import VOID, colourize
from core.image_prediction.camvid import legend as street_legend
from core.image_prediction.model import SegmentationNet
from core.pix2pix import streets
from core.pix2pix.networks import UNetGenerator
from core.pix2pix.tasks import (
    FACADE_PAINT,
    drawing_input,
    editor_rgb,
    grayscale_of,
    inpainting_input,
    paint_to_labels,
    square_resize,
)

EXAMPLES = Path(__file__).parent / "examples"
SIZE = 128  # the models' training resolution: inputs are brought to it, outputs shown enlarged
TASKS = {"edges2shoes": "Edges → shoe", "facades": "Labels → facade", "streets": "Labels → street",
         "grayscale": "Gray → colour", "inpainting": "Fill the hole"}
STREET_SCALE = 3  # 128x96 streets shown at 384x288

DESCRIPTION = """# 🖌️ pix2pix: a learned loss for image-to-image translation
Each task has two twins, the same U-Net trained on the same pairs for the same steps: **L1 only** (the safe
average of every plausible output: blurry) and **L1 + cGAN**, where a discriminator judges (input, output)
pairs patch by patch and punishes anything a real photo would not look like (Isola et al., CVPR 2017)."""
# What a student should see in each tab's result for its examples (checked against what the twins return).
NOTICES = {
    "edges2shoes": "**What to notice:** pick an example and press *Translate*: L1 only paints a flat, smooth brown "
                   "shoe, the safe average; L1 + cGAN adds highlights, seams and laces, sharper but speckled with "
                   "artefacts: the discriminator punishes blur, so this twin commits to detail, right or wrong.",
    "facades": "**What to notice:** on the examples, L1 only gives a blurry facade with its windows in the right "
               "places; L1 + cGAN draws crisp window frames and ornament, but also streaks and grid-like artefacts, "
               "strongest near the edges.",
    "streets": "**What to notice:** on the examples, L1 only paints the average street: a white sky, grey walls, "
               "a dark smudge for a car; L1 + cGAN commits to a blue sky, windows and a car with wheels, with a grid "
               "of artefacts over the walls. Per pixel the segmenter reads the blur back as well (on these maps a "
               "little better: big regions in the right places are most of the pixels); class by class, over all "
               "101 held-out maps, the cGAN's streets read back better (the table), most for sky, trees, signs and "
               "cyclists. Real photos still read back far better than either.",
    "grayscale": "**What to notice:** on the examples, L1 only tints every photo with one brownish or greenish cast; "
                 "L1 + cGAN adds patches of colour and coloured speckles. Neither gets the original's colours back "
                 "(the red car in the third example stays grey): colour is a guess from gray alone.",
    "inpainting": "**What to notice:** paint over the mouth or the eyes of an example and press *Fill in*: L1 only "
                  "fills the hole with a smooth, skin-coloured blur; L1 + cGAN fills it with sharper marks (a pink "
                  "band for a mouth, dark smudges for eyes), committed but rarely believable. Outside the hole the "
                  "photo is pasted back as it was.",
    "photo": "**What to notice:** compare the twins on your photo: L1 only gives the smooth average of the plausible "
             "outputs; L1 + cGAN commits to sharp detail. Check whether that detail is what the input shows, or "
             "invented.",
}

FCN_SCORE_TABLE = """**FCN-score over CamVid val** (101 held-out maps, `python -m bench.pix2pix_fcn_score`): how much of
each map the segmenter reads back from the streets made for it; the pix2pix paper's numbers (Cityscapes, 256 px,
an FCN-8s as the reader) for comparison.

| streets from | per-pixel accuracy | per-class accuracy | class IoU | paper |
|---|---|---|---|---|
| L1 only | 0.73 | 0.57 | 0.39 | 0.42 / 0.15 / 0.11 |
| L1 + cGAN | 0.73 | **0.68** | **0.43** | 0.66 / 0.23 / 0.17 |
| the real photos (at 128x96) | 0.87 | 0.83 | 0.60 | 0.80 / 0.26 / 0.21 |"""

# The seed lecture's other tasks have no data here; `python -m train.pix2pix --task paired --data hub:<dataset>`
# trains them, and a tab appears for each whose weights are found: on the Hub, or in a local folder named by
# the override variable (MANIFOLD_WEIGHTS_PIX2PIX_MAPS_L1_CGAN=outputs/maps/final), one twin or both.
PHOTO_TASKS = {"maps": ("Aerial → map", "an aerial photo"), "day2night": ("Day → night", "a daytime scene")}
OBJECTIVES = {"l1": "L1 only", "l1-cgan": "L1 + cGAN"}

models, sources = {}, {}
for task in TASKS:
    for objective in OBJECTIVES:
        models[task, objective], sources[f"{task} {objective}"] = load_pretrained(
            UNetGenerator, f"manifold-lab/pix2pix-{task}-{objective}")
for task in PHOTO_TASKS:
    for objective in OBJECTIVES:
        with contextlib.suppress(WeightsNotFoundError):  # no bundled twin: found or not (offline: at once)
            models[task, objective], sources[f"{task} {objective}"] = load_pretrained(
                UNetGenerator, f"manifold-lab/pix2pix-{task}-{objective}")
FOUND_PHOTO_TASKS = [task for task in PHOTO_TASKS if any((task, o) in models for o in OBJECTIVES)]
# The FCN-score's judge: the street segmenter of the image-prediction Space, trained on real CamVid photos only
segmenter, sources["street segmenter"] = load_pretrained(SegmentationNet, "manifold-lab/camvid-segmenter-skips")


def show(tensor):
    """(C, H, W) in [-1, 1] -> the first 3 channels as a picture, each pixel a 2x2 block."""
    return pixel_grid(tensor[None, :3], scale=2, value_range=(-1, 1))


@edge.remember(maxsize=8, by_content=True)  # a clicked example's drawing, sent by a whole class: translated once
@torch.inference_mode()
def translate(task, condition, known=None):
    """condition (C, SIZE, SIZE) in [0, 1] -> the model's view of the input, L1-only output, L1 + cGAN output.

    `known` (photo, hole mask) pastes the photo back outside the hole: only the hole is the model's work."""
    x = condition[None] * 2 - 1
    results = [models[task, objective](x)[0] for objective in ("l1", "l1-cgan")]
    if known is not None:
        photo, hole = known
        results = [(photo * 2 - 1) * (1 - hole) + result * hole for result in results]
    return show(x[0]), *(show(result) for result in results)


def translate_photo(task):
    """Any trained photo -> photo task: the upload's centre square at the model's own resolution."""
    def run(photo):
        rgb = np.asarray(load_image(photo, "RGB", max_side=1024, min_side=16), dtype=np.float32) / 255
        present = [o for o in OBJECTIVES if (task, o) in models]
        square = square_resize(rgb, models[task, present[0]].image_size)
        x = square[None] * 2 - 1
        with torch.inference_mode():
            results = {o: show(models[task, o](x)[0]) if o in present else None for o in OBJECTIVES}
        return show(x[0]), results["l1"], results["l1-cgan"]
    return run


def from_drawing(task, message, recolour=None):
    @edge.remember(maxsize=8, by_content=True)  # a class sends the same example: read and recoloured once
    def condition(composite):
        return drawing_input(composite, SIZE, message, recolour)

    def run(value):
        return translate(task, condition(value.get("composite") if isinstance(value, dict) else value))
    return run


def paint_street(value):
    """A painted (or example) label map in the CamVid colours -> the twins' streets, and what the segmenter
    reads back from each (the FCN-score of this one map)."""
    ids = streets.paint_to_labels(editor_rgb(value, "Paint a label map (or pick an example) first."))
    labels = streets.frame_labels(ids)  # (96, 128): the centre 4:3 part, nearest resize
    if (labels == VOID).all():
        raise ValueError("Paint with the class colours under the brush: nothing on the canvas is one of them.")
    x = streets.labels_to_input(labels)[None] * 2 - 1
    labelled = labels != VOID
    shown, read, lines = [show_street(x[0])], [], []
    with torch.inference_mode():
        for objective, name in OBJECTIVES.items():
            street = models["streets", objective](x)[0]
            read_labels = streets.read_back(segmenter, ((street + 1) / 2).clamp(0, 1))
            lines.append(f"{name}: {(read_labels == labels)[labelled].mean():.0%}")
            shown.append(show_street(street))
            read.append(pixel_grid(colourize(read_labels)[None], scale=STREET_SCALE, value_range=(0, 255)))
    note = ("Pixels whose class the segmenter reads back from the street: " + ", ".join(lines) +
            " (this map's per-pixel FCN-score; void left out).")
    return *shown, *read, note


def show_street(tensor):
    return pixel_grid(tensor[None, :3], scale=STREET_SCALE, value_range=(-1, 1))


def from_photo(photo):
    rgb = np.asarray(load_image(photo, "RGB", max_side=1024, min_side=16), dtype=np.float32) / 255
    square = square_resize(rgb, SIZE)  # (3, SIZE, SIZE): the centre square
    return translate("grayscale", grayscale_of(square)) + (show(square * 2 - 1),)


def fill_hole(value):
    condition, photo = inpainting_input(value, SIZE)
    return translate("inpainting", condition, (photo, condition[3:])) + (show(photo * 2 - 1),)  # remember: positional


def outputs(extra_label=None):
    with gr.Row():
        shown = [gr.Image(label="what the model sees", format="png"), gr.Image(label="L1 only", format="png"),
                 gr.Image(label="L1 + cGAN", format="png")]
        if extra_label:
            shown.append(gr.Image(label=extra_label, format="png"))
    return shown


def examples(folder):
    return sorted(str(p) for p in (EXAMPLES / folder).glob("*.png"))


with gr.Blocks(title="pix2pix") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note(sources))
    with gr.Tab(TASKS["edges2shoes"]):
        gr.Markdown("Draw the outline of a shoe or a bag (black on white); the models paint it.")
        sketch = gr.Sketchpad(label="your drawing", type="numpy", brush=gr.Brush(colors=["#000000"], color_mode="fixed",
                              default_size=3), canvas_size=(512, 512), fixed_canvas=True, height=600)
        edge_button = gr.Button("Translate", variant="primary")
        edge_outputs = outputs()
        gr.Markdown(NOTICES["edges2shoes"])
        gr.Examples(examples("edges2shoes"), sketch, label="edge maps from the held-out shoes")
    with gr.Tab(TASKS["facades"]):
        gr.Markdown("Paint a label map with the facade palette (pick a colour under the brush), or edit an example. "
                    "The model was trained on the CMP data's own label colours (four of them near-identical blues): "
                    "yours are turned into those first, as *what the model sees* shows.")
        gr.HTML(palette_legend(FACADE_PAINT))
        labels = gr.ImageEditor(label="label map", type="numpy", canvas_size=(512, 512), height=600,
                                brush=gr.Brush(colors=list(FACADE_PAINT.values()), color_mode="fixed", default_size=24))
        facade_button = gr.Button("Translate", variant="primary")
        facade_outputs = outputs()
        gr.Markdown(NOTICES["facades"])
        gr.Examples(examples("facades"), labels, label="label maps from the CMP validation split")
    with gr.Tab(TASKS["streets"]):
        gr.Markdown("Paint a street's label map with the CamVid classes (pick a colour under the brush), or edit a "
                    "held-out one. The twins paint a street photo for it at 128x96; then our street segmenter (the "
                    "**image-prediction** Space's, trained on real photos only) labels each generated street. How "
                    "much of your map it reads back is the pix2pix paper's **FCN-score**: a street with the right "
                    "things in the right places reads back as its labels.")
        gr.HTML(palette_legend(street_legend()))
        street_labels = gr.ImageEditor(label="label map", type="numpy", canvas_size=(480, 360), height=460,
                                       brush=gr.Brush(colors=list(street_legend().values()), color_mode="fixed",
                                                      default_size=20))
        street_button = gr.Button("Translate", variant="primary")
        street_outputs = outputs()
        with gr.Row():
            street_read = [gr.Image(label=f"{name}: what the segmenter reads back", format="png")
                           for name in OBJECTIVES.values()]
        street_note = gr.Markdown()
        gr.Markdown(FCN_SCORE_TABLE)
        gr.Markdown(NOTICES["streets"])
        gr.Examples(examples("streets"), street_labels, label="label maps from CamVid's validation split")
    with gr.Tab(TASKS["grayscale"]):
        photo = gr.Image(label="a photo (colour or gray)", type="filepath", image_mode=None, format="png")
        gray_button = gr.Button("Colourize", variant="primary")
        gray_outputs = outputs("original")
        gr.Markdown(NOTICES["grayscale"])
        gr.Examples(examples("grayscale"), photo, label="held-out BSD100 photos")
    with gr.Tab(TASKS["inpainting"]):
        gr.Markdown("Upload a face (or pick one), paint over a part with the brush, and let the models fill it in.")
        holed = gr.ImageEditor(label="face + your brush strokes", type="numpy", canvas_size=(512, 512), height=600,
                               brush=gr.Brush(colors=["#ff00ff"], color_mode="fixed", default_size=28))
        fill_button = gr.Button("Fill in", variant="primary")
        fill_outputs = outputs("original")
        gr.Markdown(NOTICES["inpainting"])
        gr.Examples(examples("inpainting"), holed, label="held-out faces")
    photo_tabs = {}
    for task in FOUND_PHOTO_TASKS:
        title, wanted = PHOTO_TASKS[task]
        with gr.Tab(title):
            missing = [o for o in OBJECTIVES if (task, o) not in models]
            gr.Markdown(f"Upload {wanted}." + (f" Only one twin was found (no {OBJECTIVES[missing[0]]}: train it, "
                        f"or set `{override_variable(f'pix2pix-{task}-{missing[0]}')}`)." if missing else ""))
            task_input = gr.Image(label=wanted, type="filepath", image_mode=None, format="png")
            task_button = gr.Button("Translate", variant="primary")
            photo_tabs[task] = (task_input, task_button, outputs())
            gr.Markdown(NOTICES["photo"])

    select_brush_on_load(demo)
    edge_button.click(from_drawing("edges2shoes", "Draw an outline first: the canvas is empty."), sketch, edge_outputs,
                      api_name="edges2shoes")
    facade_button.click(from_drawing("facades", "Paint a label map (or pick an example) first.", paint_to_labels), labels,
                        facade_outputs, api_name="facades")
    street_button.click(paint_street, street_labels, [*street_outputs, *street_read, street_note], api_name="streets")
    gray_button.click(from_photo, photo, gray_outputs, api_name="grayscale")
    fill_button.click(fill_hole, holed, fill_outputs, api_name="inpainting")
    for task, (task_input, task_button, task_outputs) in photo_tabs.items():
        task_button.click(translate_photo(task), task_input, task_outputs, api_name=task)

if __name__ == "__main__":
    edge.launch(demo)
