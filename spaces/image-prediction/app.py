"""Image prediction: object labeling of street photos by two twins (with and without skip connections), and depth
from one face photo (Eigen-style coarse + fine networks), lifted to a 3-D relief."""

from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from core.common import edge, links
from core.common.display import palette_legend, weights_note
from core.common.example_results import for_examples
from core.common.images import load_image, open_image
from core.common.seeds import MAX_SEED
from core.common.torch_threads import one_torch_thread
from core.gan.style_dcgan import StyleDCGANGenerator
from core.hub import load_pretrained
from core.image_prediction.camvid import legend
from core.image_prediction.depth import FaceDepthNet
from core.image_prediction.depth_view import depth_picture, predict_face_depth, relief_figure
from core.image_prediction.model import SegmentationNet
from core.image_prediction.view import error_image, label_photo, overlay, photo_scores, uncertainty_image

REPOS = {"no skips": "manifold-lab/camvid-segmenter-no-skips", "skips": "manifold-lab/camvid-segmenter-skips"}
MAX_SIDE = 480  # shown and scored at CamVid's own size at most; the twins run on a quarter of its pixels anyway
MIN_SIDE = 32
EXAMPLE_FOLDER = Path(__file__).parent / "examples"  # four CamVid val frames and their label maps
EXAMPLES = sorted(str(path) for path in EXAMPLE_FOLDER.glob("*.jpg"))
DEPTH_REPO, GAN_REPO = "manifold-lab/face-depth", "manifold-lab/style-dcgan-faces"
FACE_EXAMPLES = sorted(str(path) for path in (EXAMPLE_FOLDER / "faces").glob("*.png"))  # held-out faces
DESCRIPTION = """# 🚦 Image prediction: a label, or a depth, for every pixel
Structured prediction: the answer is an image too. **Object labeling** (semantic segmentation, Long et al. 2015)
predicts one of 11 classes for every pixel of a street photo; **Depth** (second tab) predicts how far away every
pixel of a face is. Two twins, trained the same way on the same 367 CamVid photos: an encoder-decoder **without skip
connections** (everything passes through a 1/16-size bottleneck, like FCN-32s) and one **with skips** (the
encoder's fine feature maps are handed to the decoder, like U-Net and FCN-8s). Same parameters, same steps."""
NOTICE = """**What to notice:** both twins know *what* is where (road, sky, trees, cars) and score alike on most
pixels; the one with skips knows better *where*: thin poles, the gap between two cyclists, the edge of a car
(the *right near edges* column). In the uncertainty maps a network is least sure at boundaries between classes:
broad bands without skips, thin lines with them."""

DEPTH_NOTICE = """**What to notice:** one photo has no depth in it, yet the network answers with a whole face's
shape: the nose nearest, the eye sockets and the cheeks' sides further back. It learned what faces look like
in 3-D from thousands of examples (the *prior*), as Eigen et al.'s network learned rooms. Turn the relief: the
shape is smooth and generic, because its teacher was a fitted face mesh, not a depth camera. A GAN's face, which
was never in front of a camera, gets a shape just as readily."""

models, sources = {}, {}
for name, repo in REPOS.items():
    models[name], sources[name] = load_pretrained(SegmentationNet, repo)
depth_model, sources["depth"] = load_pretrained(FaceDepthNet, DEPTH_REPO)
gan, sources["GAN faces"] = load_pretrained(StyleDCGANGenerator, GAN_REPO)
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


def depth_views(image, title: str):
    """A face (PIL) -> the photo beside its depth map, the relief, a note with the time."""
    with one_torch_thread():
        result = predict_face_depth(depth_model, image)
    note = (f"Depth predicted in {result.milliseconds:.0f} ms at {result.z.shape[0]}x{result.z.shape[1]}. "
            f"Nose to cheek: {(np.quantile(result.z[result.face > 0.5], 0.9) - result.z[result.face > 0.5].min()):.2f}"
            " image widths (the relief's proportions are the model's).") if (result.face > 0.5).any() else (
            "The network finds no face here: it was trained on faces filling a square, eyes a third from the top, "
            "as in the examples.")
    return depth_picture(result), relief_figure(result, title), note


@for_examples(FACE_EXAMPLES)  # a clicked example: computed once for the class
def face_depth(upload):
    original = open_image(upload)
    image = load_image(original, "RGB", max_side=1024, min_side=MIN_SIDE)
    return depth_views(image, "your photo, lifted" if str(upload) not in FACE_EXAMPLES else "a held-out face, lifted")


def face_depth_shared(upload):
    return face_depth(upload) if upload else tuple(gr.skip() for _ in range(3))


@edge.remember(maxsize=16)
def gan_face_depth(seed):
    """A face our style-based GAN made (never in front of a camera), through the same depth network."""
    with one_torch_thread():
        face = gan.sample([int(seed)])[0]
    image = Image.fromarray((face.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    return depth_views(image, f"GAN face, seed {int(seed)}, lifted")


with gr.Blocks(title="Image prediction") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note(sources))
    with gr.Tabs() as tabs:
        with gr.Tab("Object labeling", id="labels"):
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
        with gr.Tab("Depth", id="depth"):
            gr.Markdown("**Depth prediction** (Eigen, Puhrsch & Fergus 2014): a network sees one photo and answers, for "
                        "every pixel, how far it is from the camera. Ours learned it on 8,700 aligned faces whose depth "
                        "came from MediaPipe's 3-D face mesh; it answers for a face that fills a square photo.")
            with gr.Row():
                with gr.Column(scale=1):
                    face_upload = gr.Image(type="filepath", image_mode=None, label="Face photo (a face filling the square)",
                                           height=240)
                    face_examples = gr.Examples([[path] for path in FACE_EXAMPLES], inputs=[face_upload],
                                                label="held-out faces (FFHQ, CelebA; never trained on)")
                    depth_button = gr.Button("Predict depth", variant="primary")
                    gan_seed = gr.Number(7, precision=0, minimum=0, maximum=MAX_SEED, label="GAN face seed")
                    gan_button = gr.Button("Lift a GAN face to 3-D")
                with gr.Column(scale=2):
                    depth_image = gr.Image(label="photo | predicted depth (bright = near; dimmed = not face)",
                                           format="png", interactive=False)
                    relief = gr.Plot(label="the face as a relief: drag to turn it")
            depth_note = gr.Markdown()
            gr.Markdown(DEPTH_NOTICE)
            links.copy_button(links.NOTE_WITH_UPLOADS)

    prediction = gr.State()  # per user: the photo, each twin's labels and entropy, the ground truth
    shown = [images[name, row] for name in REPOS for row in ("labels", "uncertainty", "errors")]
    outputs = [*shown, ground, table, prediction]
    run.click(label_street, [upload, opacity], outputs, api_name="label_street")
    upload.change(label_shared, [upload, opacity], outputs, api_name=False)  # an example click runs at once
    opacity.input(reblend, [prediction, opacity], [*shown, ground], api_name=False, trigger_mode="always_last")
    depth_outputs = [depth_image, relief, depth_note]
    depth_button.click(face_depth, face_upload, depth_outputs, api_name="face_depth")
    face_upload.change(face_depth_shared, face_upload, depth_outputs, api_name=False)
    gr.on([gan_button.click, gan_seed.submit], gan_face_depth, gan_seed, depth_outputs, api_name="gan_face_depth")
    link = links.Link({"opacity": opacity}, tabs, examples={"example": photo_examples, "face": face_examples},
                      shown_first={"example": 0, "face": 0})
    link.restore(demo)
    link.run_if_set(label_shared, [upload, opacity], outputs)

if __name__ == "__main__":
    edge.launch(demo)
