"""Image prediction: object labeling of street photos by two twins, with and without skip connections."""

from pathlib import Path

import gradio as gr
import numpy as np

from core.common import edge, links
from core.common.display import palette_legend, weights_note
from core.common.example_results import for_examples
from core.common.images import load_image, open_image
from core.common.torch_threads import one_torch_thread
from core.hub import load_pretrained
from core.image_prediction.camvid import legend
from core.image_prediction.model import SegmentationNet
from core.image_prediction.view import error_image, label_photo, overlay, photo_scores, uncertainty_image

REPOS = {"no skips": "manifold-lab/camvid-segmenter-no-skips", "skips": "manifold-lab/camvid-segmenter-skips"}
MAX_SIDE = 480  # shown and scored at CamVid's own size at most; the twins run on a quarter of its pixels anyway
MIN_SIDE = 32
EXAMPLE_FOLDER = Path(__file__).parent / "examples"  # four CamVid val frames and their label maps
EXAMPLES = sorted(str(path) for path in EXAMPLE_FOLDER.glob("*.jpg"))
DESCRIPTION = """# 🚦 Image prediction: a label for every pixel
**Object labeling** (semantic segmentation, Long et al. 2015) predicts one of 11 classes for every pixel of a
street photo. Two twins, trained the same way on the same 367 CamVid photos: an encoder-decoder **without skip
connections** (everything passes through a 1/16-size bottleneck, like FCN-32s) and one **with skips** (the
encoder's fine feature maps are handed to the decoder, like U-Net and FCN-8s). Same parameters, same steps."""
NOTICE = """**What to notice:** both twins know *what* is where (road, sky, trees, cars) and score alike on most
pixels; the one with skips knows better *where*: thin poles, the gap between two cyclists, the edge of a car
(the *right near edges* column). In the uncertainty maps a network is least sure at boundaries between classes:
broad bands without skips, thin lines with them."""

models, sources = {}, {}
for name, repo in REPOS.items():
    models[name], sources[name] = load_pretrained(SegmentationNet, repo)
TRUTH = {path: np.asarray(load_image(Path(path).with_suffix(".png"), "L", max_side=None)) for path in EXAMPLES}


def views(photo, results, truth, opacity):
    """The six pictures: per twin, labels over the photo, uncertainty, and errors (None without ground truth)."""
    shown = []
    for name in REPOS:
        result = results[name]
        shown += [overlay(photo, result.labels, opacity), uncertainty_image(result.entropy),
                  None if truth is None else error_image(photo, result.labels, truth)]
    return shown


def summary(photo, results, truth, note):
    """A table of each twin's time and, for an example, its scores on this photo."""
    height, width = photo.shape[:2]
    lines = [f"Photo {width}x{height}.{note}", ""]
    if truth is None:
        lines[0] += " No ground truth for an upload: the scores need an example (CamVid's annotators' labels)."
        lines += ["| twin | time | mean uncertainty |", "|---|---|---|"]
        for name in REPOS:
            result = results[name]
            lines.append(f"| {name} | {result.milliseconds:.0f} ms | {result.entropy.mean():.2f} nats |")
        return "\n".join(lines)
    lines += ["| twin | pixels right | mean IoU | right near edges | time |", "|---|---|---|---|---|"]
    for name in REPOS:
        result = results[name]
        scores = photo_scores(result.labels, truth)
        lines.append(f"| {name} | {scores['global_accuracy']:.1%} | {scores['mean_iou']:.1%} | "
                     f"{scores['boundary_accuracy']:.1%} | {result.milliseconds:.0f} ms |")
    lines += ["", "Mean IoU: for each class, the overlap of predicted and true pixels over their union, averaged "
              "over the classes in this photo. *Right near edges*: pixels within 3 px of a boundary between two "
              "classes, where the twin without skips loses most."]
    return "\n".join(lines)


@for_examples(EXAMPLES)  # a clicked example: computed once for the class
def label_street(upload, opacity):
    original = open_image(upload)  # the header only: a 50 MP upload is shrunk before it is converted
    image = load_image(original, "RGB", max_side=MAX_SIDE, min_side=MIN_SIDE)
    note = f" Resized from {original.width}x{original.height}." if image.size != original.size else ""
    photo = np.asarray(image)
    truth = TRUTH.get(str(upload))  # for_examples hands over the example's own path
    if truth is not None and truth.shape != photo.shape[:2]:
        truth = None
    with one_torch_thread():  # two small networks: a second OpenMP thread only waits on a busy server
        results = {name: label_photo(model, photo) for name, model in models.items()}
    state = (photo, {name: (r.labels, r.entropy) for name, r in results.items()}, truth)
    ground = None if truth is None else overlay(photo, truth, float(opacity))
    return *views(photo, results, truth, float(opacity)), ground, summary(photo, results, truth, note), state


def reblend(state, opacity):
    """Opacity moved: blend the stored labels again (no network run); nothing to do without a photo."""
    if state is None:
        return tuple(gr.skip() for _ in range(7))
    photo, labels, truth = state
    shown = []
    for name in REPOS:
        shown += [overlay(photo, labels[name][0], float(opacity)), gr.skip(), gr.skip()]
    return *shown, (None if truth is None else overlay(photo, truth, float(opacity)))


def label_shared(upload, opacity):
    """A new photo (an upload, a clicked example, a shared link's example) is labelled at once."""
    return label_street(upload, opacity) if upload else tuple(gr.skip() for _ in range(9))


with gr.Blocks(title="Image prediction") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note(sources))
    with gr.Tab("Object labeling"):
        with gr.Row():
            with gr.Column(scale=1):
                upload = gr.Image(type="filepath", image_mode=None, label="Street photo", height=240)
                photo_examples = gr.Examples([[path] for path in EXAMPLES], inputs=[upload],
                                             label="CamVid validation frames (never trained on)")
                opacity = gr.Slider(0.0, 1.0, 0.6, step=0.05, label="Label opacity",
                                    info="0 = the photo, 1 = the label map alone")
                run = gr.Button("Label every pixel", variant="primary")
                ground = gr.Image(label="ground truth (CamVid's annotators; black = void, not scored)",
                                  format="png", interactive=False)
            with gr.Column(scale=3):
                gr.HTML(palette_legend(legend()))
                images = {}
                for row, caption in (("labels", "labels over the photo"),
                                     ("uncertainty", "uncertainty (entropy: black = sure, white = a guess)"),
                                     ("errors", "errors (green right, red wrong, grey void)")):
                    with gr.Row():
                        for name in REPOS:
                            images[name, row] = gr.Image(label=f"{name}: {caption}", format="png",
                                                         interactive=False)
        table = gr.Markdown()
        gr.Markdown(NOTICE)
        links.copy_button(links.NOTE_WITH_UPLOADS)

    prediction = gr.State()  # per user: the photo, each twin's labels and entropy, the ground truth
    shown = [images[name, row] for name in REPOS for row in ("labels", "uncertainty", "errors")]
    outputs = [*shown, ground, table, prediction]
    run.click(label_street, [upload, opacity], outputs, api_name="label_street")
    upload.change(label_shared, [upload, opacity], outputs, api_name=False)  # an example click runs at once
    opacity.input(reblend, [prediction, opacity], [*shown, ground], api_name=False, trigger_mode="always_last")
    link = links.Link({"opacity": opacity}, examples={"example": photo_examples}, shown_first={"example": 0})
    link.restore(demo)
    link.run_if_set(label_shared, [upload, opacity], outputs)

if __name__ == "__main__":
    edge.launch(demo)
