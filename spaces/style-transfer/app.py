"""Style transfer: optimise a photo until its features' Gram matrices match a painting's (Gatys et al. 2016), or
paint it in one pass with a network trained to do that optimisation (Johnson et al. 2016)."""

import json
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from core.common import edge, links, warm_up
from core.common.display import example_photos
from core.common.example_results import file_digest
from core.common.images import load_image
from core.common.torch_threads import one_torch_thread
from core.hub import load_pretrained
from core.style_transfer.features import RandomPyramidFeatures
from core.style_transfer.gatys import transfer
from core.style_transfer.transform import StyleTransformNet, network_repo
from core.style_transfer.transform import stylise as paint_in_one_pass

HERE = Path(__file__).resolve().parent
STYLES = json.loads((HERE / "styles" / "credits.json").read_text())
STYLE_EXAMPLES = [str(HERE / "styles" / style["file"]) for style in STYLES]
CONTENT_EXAMPLES = example_photos("chelsea", "astronaut", "coffee")  # photos that ship with scikit-image
SIDE = 256  # the result's long side; a step costs about 0.17 s on one thread at this size
MIN_SIDE = 16
MATCHES = {"content + style (style transfer)": "transfer", "style only, from noise (texture synthesis)": "texture"}
DEFAULT_WEIGHT, DEFAULT_STEPS, MAX_STEPS = 20, 80, 150
SHOW_EVERY = 10  # steps between the pictures streamed to the page
# Johnson's networks: one per painting (a painting's file -> its Hub repo), trained by train.style_transfer
ONE_PASS_REPOS = {painting: network_repo(painting)
                  for painting in ["van-gogh-auvers.jpg", "hokusai-great-wave.jpg", "kandinsky-composition-8.jpg",
                                   "renoir-moulin-de-la-galette.jpg"]}

DESCRIPTION = """# 🖼️ Style transfer: content from a photo, style from a painting
Gatys, Ecker & Bethge (2016) start from the photo and change its pixels, step by step, so that a network's
**features** still match the photo's (the *content*: what is where) while the **Gram matrices** of those
features match the painting's (the *style*: which features fire together, wherever they fire; the layout is
thrown away). Match only the Gram matrices, starting from noise, and you get a **texture** of the painting
(texture synthesis, Gatys et al. 2015). The same Gram loss is a *designed loss*, like colorization's."""
NETWORK_NOTE = """**The feature network is random, not VGG.** Gatys used VGG-19 trained on ImageNet; those weights
cannot come here. Random convolutions describe textures surprisingly well (Ustyuzhaninov et al., ICLR 2017):
ours are two random 5x5 and 3x3 layers on each of five sizes of the image (full, 1/2 ... 1/16), so a filter sees up
to 80 pixels. It transfers colour, strokes and large blobs of the painting, less of its shapes than VGG does. We
also tried the encoder of this course's street segmenter (trained, but on 367 street photos): its Gram matrices
left the photo under coloured pixel noise."""
NOTICE = """**What to notice:** on the cat and Van Gogh's village (shown on opening), the painting's yellows,
greens and short strokes spread over the whole photo while the cat's eyes and whiskers stay in place: the Gram
matrices say *which features fire together*, not where, and the content term holds the layout. Weights 20 and 50
look much alike; at 1 the photo keeps its colours but takes on a regular grid of stripes, an artefact of our
random network rather than of the method. Switch to *style only*: the same statistics grown from noise give blotches
in the painting's palette and no objects at all, a far cruder texture than VGG gives. Every step is a forward and
backward pass of the network, for every photo again: Johnson et al. (2016) trained a network to do it in one pass (the second tab)."""
ONE_PASS_NOTICE = """**What to notice:** on the cat, the network's picture comes in a fifth of a second and the optimised one
in about 15 (its time is the class's shared run, or yours if you press *Optimise it too*). The network keeps the
cat's eyes and nose under the painting's palette (Van Gogh's yellows and greens, Hokusai's Prussian blue and cream,
Kandinsky's pale ground, Renoir's warm browns) and its strokes, and loses the fine detail the optimisation keeps:
it learnt one average way to paint from 200 photos, where the optimisation fits this photo alone. The same strokes
land on every photo, whatever it shows, and every painting needs a network of its own: switch the network and
compare."""
ONE_PASS_NOTE = """Johnson, Alahi & Fei-Fei (2016) train a network (here 0.4 million weights: two strided convolutions
down, five residual blocks, two up) on crops of photos with **the same loss** the optimisation uses: the
photo's content maps and the painting's Gram matrices. After training, a photo goes through it once: the
optimisation's many forward and backward passes are **amortised** into training. The price: one network per
painting, and it paints a new photo only as well as it learnt from the training photos (BSDS500's 200). Compare
the two pictures and their times below: the optimisation fits this one photo, the network is a fast average."""

features = RandomPyramidFeatures()  # built from its seed: nothing to download
STYLE_FILES = {style["file"]: (path, style["title"]) for path, style in zip(STYLE_EXAMPLES, STYLES, strict=True)}
networks, network_sources, network_paintings = {}, {}, {}
for painting_file, repo in ONE_PASS_REPOS.items():
    path, title = STYLE_FILES[painting_file]
    networks[title], network_sources[title] = load_pretrained(StyleTransformNet, repo)
    network_paintings[title] = path
STYLE_TITLES = {file_digest(path): style["title"] for path, style in zip(STYLE_EXAMPLES, STYLES, strict=True)}
EXAMPLE_DIGESTS = {file_digest(path) for path in (*CONTENT_EXAMPLES, *STYLE_EXAMPLES)}  # hashed once, not per call
EXAMPLE_SIZES = {Path(path).stat().st_size for path in (*CONTENT_EXAMPLES, *STYLE_EXAMPLES)}
CONTENT_BY_DIGEST = {file_digest(path): path for path in CONTENT_EXAMPLES}


def as_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255


def as_picture(image: torch.Tensor) -> Image.Image:
    return Image.fromarray((image[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def read(upload, label: str) -> Image.Image:
    try:
        return load_image(upload, "RGB", max_side=SIDE, min_side=MIN_SIDE)
    except ValueError as error:
        raise gr.Error(f"{label}: {error}", print_exception=False) from error


class SharedResults:
    """The final picture of each example pair and setting, computed once for the class: the first visitor's run
    streams its steps, visitors asking for the same while it runs wait for it, everyone after gets it at once.
    (`edge.remember` does this for a handler that returns; this one streams.)"""

    def __init__(self, maxsize: int = 32):
        self.maxsize, self.results, self.running = maxsize, {}, {}
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            return self.results.get(key)

    def flight(self, key) -> threading.Lock:
        with self.lock:
            return self.running.setdefault(key, threading.Lock())

    def put(self, key, value) -> None:
        with self.lock:
            self.results[key] = value
            while len(self.results) > self.maxsize:
                self.results.pop(next(iter(self.results)))

    def landed(self, key, flight: threading.Lock) -> None:
        """A run's owner is done (finished, or its visitor left): its lock goes unless someone waits on it, so
        abandoned runs of ever new settings leave nothing behind."""
        with self.lock:
            if self.running.get(key) is flight and not flight.locked():
                del self.running[key]


shared = SharedResults()


def example_digest(path) -> str | None:
    """The digest of an example's bytes (an example arrives as a copy), or None: an upload of another size is not
    hashed at all."""
    try:
        if Path(path).stat().st_size not in EXAMPLE_SIZES:
            return None
    except (OSError, TypeError, ValueError):
        return None
    digest = file_digest(path)
    return digest if digest in EXAMPLE_DIGESTS else None


def example_key(content, style, match, weight, steps):
    """A key when both images are the Space's examples, else None (a visitor's own run, not shared)."""
    content_digest = None if match == "texture" else example_digest(content)
    style_digest = example_digest(style)
    if style_digest is None or (match != "texture" and content_digest is None):
        return None
    return content_digest, style_digest, match, float(weight), int(steps)


def note_for(step, steps, match):
    losses = (f"style loss {step.style_loss:.4f}" if match == "texture" else
              f"content loss {step.content_loss:.3f}, style loss {step.style_loss:.4f}")
    return f"Step {step.step} of {steps}: {losses} (each relative to its target's size: 0 = a perfect match)."


def stylise(content, style, match_label, style_weight, steps):
    """Stream the optimisation: the picture every SHOW_EVERY steps, with its losses."""
    match = MATCHES[edge.choice(match_label, "Match", list(MATCHES))]
    weight = edge.number(style_weight, "Style weight", 0, 100)
    steps = edge.number(steps, "Steps", 1, MAX_STEPS, integer=True)
    style_image = read(style, "Style image")
    content_image = None if match == "texture" else read(content, "Content photo")
    key = example_key(content, style, match, weight, steps)
    if key is None:  # a visitor's own image: their own run
        yield from run(content_image, style_image, match, weight, steps, key)
        return
    flight = shared.flight(key)
    if flight.locked():
        yield gr.skip(), "This same run started a moment ago (another visitor, or the other tab): its result comes here when it is done."
    try:
        with flight:  # released if the visitor leaves mid-run (Gradio closes the generator)
            if (done := shared.get(key)) is not None:
                yield done
                return
            yield from run(content_image, style_image, match, weight, steps, key)
    finally:
        shared.landed(key, flight)


def run(content_image, style_image, match, weight, steps, key):
    content_tensor = None if content_image is None else as_tensor(content_image)
    size = (SIDE * 3 // 4, SIDE) if content_image is None else None  # a texture: 4:3, like the photos
    last, started = None, time.perf_counter()
    with one_torch_thread():
        for step in transfer(features, content_tensor, as_tensor(style_image), steps=steps, style_weight=weight,
                             size=size):
            if step.step % SHOW_EVERY == 0 or step.step == steps:
                note = note_for(step, steps, match)
                if step.step == steps:
                    note += f" {steps} steps took {time.perf_counter() - started:.1f} s on one thread."
                last = as_picture(step.image), note
                yield last
    if key is not None:
        shared.put(key, last)


def timed_one_pass(photo, title: str) -> tuple[Image.Image, str]:
    image = read(photo, "Content photo")
    started = time.perf_counter()
    with one_torch_thread():
        painted = paint_in_one_pass(networks[title], image)
    milliseconds = (time.perf_counter() - started) * 1000
    return painted, f"**One pass: {milliseconds:.0f} ms** at {image.width}x{image.height} on one thread"


@edge.remember(maxsize=len(CONTENT_EXAMPLES) * len(ONE_PASS_REPOS))
def example_one_pass(digest: str, title: str) -> tuple[Image.Image, str]:
    """An example photo's one pass, painted and timed once for the class (the tab's opening view)."""
    painted, timing = timed_one_pass(CONTENT_BY_DIGEST[digest], title)
    return painted, timing + " (timed when first asked; an upload is timed for you)"


def one_pass(photo, network_label):
    """The chosen painting's network on the photo, once, and how long that took."""
    title = edge.choice(network_label, "Network", list(networks))
    if photo is None:  # the photo was cleared
        return None, ""
    digest = example_digest(photo)
    painted, timing = (example_one_pass(digest, title) if digest in CONTENT_BY_DIGEST
                       else timed_one_pass(photo, title))
    return painted, f"{timing}. {network_sources[title].markdown()}"


def optimised_twin(photo, network_label, asked: bool = False):
    """The same photo optimised towards the network's painting at the default settings, to compare: an example
    photo's is the class's shared result; a visitor's own photo is optimised only when they ask (it costs ~15 s)."""
    title = edge.choice(network_label, "Network", list(networks))
    painting, transfer_label = network_paintings[title], list(MATCHES)[0]
    if photo is None and not asked:
        yield None, ""
        return
    if not asked and example_key(photo, painting, "transfer", DEFAULT_WEIGHT, DEFAULT_STEPS) is None:
        yield None, (f"Your own photo: press *Optimise it too* to run the {DEFAULT_STEPS} optimisation steps "
                     "(about 15 s) and compare.")
        return
    yield from stylise(photo, painting, transfer_label, DEFAULT_WEIGHT, DEFAULT_STEPS)


def optimise_own(photo, network_label):
    yield from optimised_twin(photo, network_label, asked=True)


def painting_of(network_label):
    return network_paintings[edge.choice(network_label, "Network", list(networks))]


def style_caption(style):
    title = STYLE_TITLES.get(example_digest(style)) if style else None
    return f"*{title}* (public domain; reproduction via GCompris, GPL-3.0-or-later)" if title else ""


with gr.Blocks(title="Style transfer") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tabs() as tabs:
        with gr.Tab("Optimise (Gatys)", id="optimise"):
            gr.Markdown(NETWORK_NOTE)
            with gr.Row():
                with gr.Column(scale=1):
                    content = gr.Image(label="Content photo", type="filepath", image_mode=None, height=220)
                    content_examples = gr.Examples([[path] for path in CONTENT_EXAMPLES], [content],
                                                   label="Photos from scikit-image")
                    style = gr.Image(label="Style image (a painting)", type="filepath", image_mode=None, height=220)
                    style_examples = gr.Examples([[path] for path in STYLE_EXAMPLES], [style],
                                                 label="Public-domain paintings")
                    style_credit = gr.Markdown()
                with gr.Column(scale=2):
                    match = gr.Radio(list(MATCHES), value=list(MATCHES)[0], label="Match")
                    with gr.Row():
                        weight = gr.Slider(0, 100, DEFAULT_WEIGHT, step=1, label="Style weight",
                                           info="how much the Gram matrices count against the content (1 = alike)")
                        steps = gr.Slider(10, MAX_STEPS, DEFAULT_STEPS, step=10, label="Steps",
                                          info=f"Adam steps on the pixels, about 0.2 s each at {SIDE} px")
                    button = gr.Button("Stylise", variant="primary")
                    result = gr.Image(label="result (updates as it optimises)", format="png", interactive=False)
                    note = gr.Markdown()
            gr.Markdown(NOTICE)
        with gr.Tab("One pass (Johnson)", id="one-pass"):
            gr.Markdown(ONE_PASS_NOTE)
            with gr.Row():
                with gr.Column(scale=1):
                    photo = gr.Image(label="Content photo", type="filepath", image_mode=None, height=220)
                    photo_examples = gr.Examples([[path] for path in CONTENT_EXAMPLES], [photo],
                                                 label="Photos from scikit-image")
                    network = gr.Radio(list(networks), value=next(iter(networks)), label="Network (one per painting)")
                    trained_on = gr.Image(network_paintings[next(iter(networks))], label="the painting it learnt",
                                          height=140, interactive=False, buttons=[])
                with gr.Column(scale=2):
                    with gr.Row():
                        painted = gr.Image(label="one pass (Johnson)", format="png", interactive=False)
                        optimised = gr.Image(label=f"optimised, {DEFAULT_STEPS} steps (Gatys)", format="png",
                                             interactive=False)
                    with gr.Row():
                        painted_note = gr.Markdown()
                        optimised_note = gr.Markdown()
                    optimise_button = gr.Button("Optimise it too", variant="secondary")
            gr.Markdown(ONE_PASS_NOTICE)
    links.copy_button(links.NOTE_WITH_UPLOADS)

    link = links.Link({"match": match, "weight": weight, "steps": steps, "network": network}, tabs,
                      examples={"photo": content_examples, "painting": style_examples, "one_pass_photo": photo_examples},
                      shown_first={"photo": 0, "painting": 0, "one_pass_photo": 0})
    inputs, outputs = [content, style, match, weight, steps], [result, note]
    button.click(stylise, inputs, outputs, api_name="stylise", concurrency_limit=2)
    style.change(style_caption, style, style_credit, api_name=False, show_progress="hidden")
    # the link's (or the first) photo and painting: their result runs after the load, as its own event (cached)
    link.restore(demo, shown=[links.Shown(stylise, inputs, outputs, concurrency_limit=2)])
    # the one-pass tab: a new photo or network paints at once, then the optimised twin (an example's is shared)
    gr.on([photo.change, network.change], one_pass, [photo, network], [painted, painted_note], api_name="one_pass",
          show_progress="minimal").then(optimised_twin, [photo, network], [optimised, optimised_note],
                                        api_name=False, concurrency_limit=2)
    network.change(painting_of, network, trained_on, api_name=False, show_progress="hidden")
    optimise_button.click(optimise_own, [photo, network], [optimised, optimised_note], api_name="optimise_too",
                          concurrency_limit=2)
    # the lesson's next clicks, each painting's network on the first photo: their optimised twins made at start
    # (~7 CPU-s each), so that a teacher going through the paintings compares them at once
    for title in list(networks)[1:]:
        warm_up.also(demo, optimised_twin, [photo, title])

if __name__ == "__main__":
    edge.launch(demo)
