"""Image manifold: curved low-dimensional sheets, the emptiness of pixel space, latent interpolation."""

import gradio as gr
import numpy as np
import torch

from core.autoencoder.model import ConvAutoencoder
from core.common import edge, links, point_clouds, warm_up
from core.common.display import pixel_grid, weights_note
from core.common.images import cross_fade, load_image, to_uint8
from core.common.mnist import example_digits
from core.common.seeds import MAX_SEED
from core.hub import WeightsNotFoundError, load_pretrained
from core.image_manifold import embeddings as manifold
from core.image_manifold import figures as figs

AUTOENCODER_REPO = "manifold-lab/digits-autoencoder"
SHEETS = {"swiss roll": point_clouds.swiss_roll, "S-shaped fold": point_clouds.folded_sheet}
DESCRIPTION = """# 🌀 The manifold of images
Natural images fill only a thin, curved, low-dimensional part of pixel space: a *manifold*.
Linear methods (PCA) can only flatten it; non-linear ones (Isomap, autoencoders) *can* unroll it, if their
inductive bias points the right way."""
# What a student should see in each tab's result at its default settings (checked against what it shows).
NOTICES = {
    "paper": "**What to notice:** in the PCA map the colours wrap round a spiral, the roll seen end-on (sheet R² "
             "0.74); in the Isomap map they run in one direction across a flat strip (sheet R² 0.99). Both keep "
             "near neighbours together (trustworthiness 0.94 and 0.999; it is 1 when every near neighbour on a "
             "map was a near neighbour in 3-D). The button's autoencoder lands in between (sheet R² 0.87), though it "
             "rebuilds the points well (error 1.01 → 0.02).",
    "noise": "**What to notice:** after *Sample random images*, the two histograms do not overlap: random images "
             "keep a residual of 0.86-0.88, photo crops 0.03-0.60, so every random image lies farther from natural "
             "images than every photo crop. The residual is the share of the variation inside an image's 8x8 "
             "patches that the first 8 principal components of natural patches cannot rebuild (1 = none of it).",
    "interpolation": "**What to notice:** the pixel-space strip is a double exposure: the 0 fades out while the 7 "
                     "fades in. The latent strip changes shape instead, from the 0 through 9-like digits to the 7, "
                     "each frame one stroke; but its third frame is a smudge: not every point on a straight latent "
                     "path decodes to a digit. Its ends are blurrier than the test images: they are the "
                     "autoencoder's reconstructions.",
}

patch_model = manifold.NaturalPatchModel()
digits, digit_labels = example_digits()
try:
    autoencoder, weights = load_pretrained(ConvAutoencoder, AUTOENCODER_REPO)
    weights_line = weights_note({"autoencoder": weights})
except WeightsNotFoundError as error:
    autoencoder, weights_line = None, (
        f"**No autoencoder available** ({error}). Latent interpolation needs the digits autoencoder from the "
        "`autoencoder` Space; the pixel cross-fade below still works.")


def make_sheet(shape, count, noise, seed):
    if shape not in SHEETS:
        raise ValueError(f"Unknown shape {shape!r}: choose one of {', '.join(SHEETS)}.")
    if int(count) < 20:
        raise ValueError("Use at least 20 points: the neighbourhood-based methods need some neighbours.")
    return SHEETS[shape](int(count), float(noise), seed=int(seed))


def label(score: manifold.EmbeddingScore) -> str:
    return f"sheet R² {score.sheet_r2:.2f} · trustworthiness {score.trustworthiness:.3f}"


@edge.remember()  # seeded: what a page load shows is computed once
def unroll(shape, count, noise, neighbors, seed):
    points, sheet = make_sheet(shape, count, noise, seed)
    embeddings = {"PCA (linear)": manifold.embed_pca(points),
                  f"Isomap ({int(neighbors)} neighbours)": manifold.embed_isomap(points, int(neighbors))}
    scores = {name: label(manifold.score_embedding(points, e, sheet)) for name, e in embeddings.items()}
    title = f"{shape}: {len(points)} points in 3-D, coloured by their position along the sheet"
    return figs.sheet_3d(points, sheet[:, 0], title), figs.embeddings_2d(embeddings, sheet[:, 0], scores)


def train_autoencoder(shape, count, noise, neighbors, seed, progress=gr.Progress()):
    """The button: the same points and seed train the same autoencoder, so a class shares one training."""
    progress(0, desc="training a small autoencoder (once per setting: the class shares it)")
    return trained_autoencoder(shape, count, noise, neighbors, seed)


@edge.remember()  # seeded: thirty students pressing the button at default settings train it once
def trained_autoencoder(shape, count, noise, neighbors, seed):
    points, sheet = make_sheet(shape, count, noise, seed)
    codes, losses = manifold.embed_autoencoder(points, seed=int(seed))
    isomap = manifold.embed_isomap(points, int(neighbors))
    embeddings = {"PCA (linear)": manifold.embed_pca(points), "Isomap": isomap, "autoencoder 3→2→3": codes}
    scores = {name: label(manifold.score_embedding(points, e, sheet)) for name, e in embeddings.items()}
    r2 = manifold.score_embedding(points, codes, sheet).sheet_r2
    verdict = ("laid flat" if r2 >= 0.95 else "partly unrolled" if r2 >= 0.85 else "crumpled: folds and tangles that "
               "the decoder undoes, so the reconstruction is good all the same")
    note = (f"Autoencoder: {len(losses)} full-batch Adam steps, reconstruction MSE {losses[0]:.3f} → {losses[-1]:.4f}; "
            f"its map is {verdict} (sheet R² {r2:.2f}). Another seed, another map.")
    return figs.embeddings_2d(embeddings, sheet[:, 0], scores), note


def noise_vs_natural(count, seed, upload=None):
    count, seed = int(edge.number(count, "Images of each kind", 1, 200, integer=True)), int(seed)
    random_images = manifold.random_images(count, seed=seed)
    natural = manifold.natural_crops(count, seed=seed)
    scores_random = np.array([patch_model.residual_fraction(im) for im in random_images])
    scores_natural = np.array([patch_model.residual_fraction(im) for im in natural])
    mine = None
    if upload is not None:
        mine = patch_model.residual_fraction(np.asarray(load_image(upload, "L", max_side=256, min_side=8)) / 255)
    shown = [(to_uint8(im), f"rand: {s:.2f}") for im, s in zip(random_images[:6], scores_random, strict=False)]
    shown += [(to_uint8(im), f"photo: {s:.2f}") for im, s in zip(natural[:6], scores_natural, strict=False)]
    text = (f"Random images: residual {scores_random.min():.2f}–{scores_random.max():.2f}; natural crops: "
            f"{scores_natural.min():.2f}–{scores_natural.max():.2f}. "
            f"{np.mean(scores_random > scores_natural.max()):.0%} of random images lie farther than every photo crop.")
    if mine is not None:
        text += f" Your image: **{mine:.2f}**."
    return shown, figs.distance_histogram(scores_natural, scores_random, mine), text


@torch.inference_mode()
def interpolate(first, second, steps):
    first, second, steps = int(first), int(second), int(steps)
    fade = cross_fade(digits[first], digits[second], steps)
    which = f"From a **{digit_labels[first]}** (test image #{first}) to a **{digit_labels[second]}** (test image #{second})."
    fade = pixel_grid(fade, scale=3)
    if autoencoder is None:
        return fade, None, which
    pair = torch.from_numpy(digits[[first, second]])[:, None]
    codes = autoencoder.encode(pair)
    t = torch.linspace(0, 1, steps)[:, None]
    decoded = autoencoder.decode((1 - t) * codes[0] + t * codes[1])[:, 0].numpy()
    return fade, pixel_grid(decoded, scale=3), which


with gr.Blocks(title="The manifold of images") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tabs() as tabs:
        with gr.Tab("Bent paper", id="paper"):
            gr.Markdown("A 2-D sheet rolled up in 3-D, coloured by position along the roll. PCA can only project: it "
                        "keeps the roll seen end-on and squashes the sheet's other direction away. **Isomap** follows "
                        "the sheet through a graph of near neighbours and usually lays it flat (sheet R² near 1: both "
                        "sheet coordinates can be read off the map; on an unlucky draw the graph short-circuits "
                        "between layers: try fewer neighbours). A small **autoencoder** trained here for a few "
                        "seconds usually does *not*: its loss only asks for codes it can decode, and a crumpled map "
                        "decodes fine (sheet R² 0.73-0.90 on the default roll over seeds 0-9, Isomap 0.64-0.99). "
                        "Reconstruction error cannot tell a flat chart from a folded one; large image autoencoders "
                        "get their smooth maps from architecture and millions of images, not from the loss alone.")
            with gr.Row():
                shape = gr.Radio(list(SHEETS), value="swiss roll", label="Sheet", info="how the paper is bent")
                count = gr.Slider(20, 1500, 800, step=10, label="Points", info="samples from the sheet")
                noise = gr.Slider(0, 1, 0.2, label="Noise", info="thickness of the sheet")
                neighbors = gr.Slider(4, 30, 10, step=1, label="Isomap neighbours", info="too many short-circuits the roll")
                seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", info="same seed, same draw: share it to reproduce a view")
            sheet_plot = gr.Plot(label="the sheet in 3-D")
            maps = gr.Plot(label="2-D maps")
            train_button = gr.Button("Train a small autoencoder on these points (a few seconds)", variant="primary")
            train_note = gr.Markdown()
            gr.Markdown(NOTICES["paper"])
            links.copy_button()
        with gr.Tab("Most images are noise", id="noise"):
            gr.Markdown("Almost every point of pixel space is noise. A model of natural 8x8 patches (their first 8 "
                        "principal components) explains most of a photo but almost none of `rand(100, 100, 3)`.")
            with gr.Row():
                how_many = gr.Slider(1, 200, 100, step=1, label="Images of each kind", info="more images, smoother histogram")
                noise_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed", info="same seed, same draw: share it to reproduce a view")
                upload = gr.Image(type="filepath", image_mode=None, label="Optional: your own image", sources=["upload", "clipboard"], height=160)
            sample_button = gr.Button("Sample random images", variant="primary")
            gallery = gr.Gallery(label="random images (top) and natural crops", columns=6, height=300)
            histogram = gr.Plot(label="how far from natural images")
            noise_text = gr.Markdown()
            gr.Markdown(NOTICES["noise"])
            links.copy_button(links.NOTE_WITH_UPLOADS)
        with gr.Tab("Interpolation", id="interpolation"):
            gr.Markdown("Halfway between two digits in **pixel space** is a double exposure, not a digit. Halfway "
                        "in an autoencoder's **latent space** decodes to a digit: the path stays on the manifold.")
            gr.Markdown(weights_line)
            with gr.Row():
                first = gr.Slider(0, len(digits) - 1, 3, step=1, label="From test image #",
                                  info="which of 500 MNIST test digits, by position (not the digit's value)")
                second = gr.Slider(0, len(digits) - 1, 360, step=1, label="To test image #", info="the line above the strips says which digits")
                steps = gr.Slider(3, 12, 8, step=1, label="Steps")
            which_digits = gr.Markdown()
            pixel_strip = gr.Image(label="pixel space: cross-fade", format="png")
            latent_strip = gr.Image(label="latent space: decode((1 - t) z₁ + t z₂)", format="png")
            gr.Markdown(NOTICES["interpolation"])
            links.copy_button()

    link = links.Link({"sheet": shape, "points": count, "noise": noise, "neighbours": neighbors, "seed": seed,
                       "images": how_many, "noise_seed": noise_seed, "from": first, "to": second, "steps": steps}, tabs)
    sheet_inputs = [shape, count, noise, neighbors, seed]
    # what a person does (typing, dragging, picking), not `change`: see interpolation's below
    gr.on([c.input for c in sheet_inputs], unroll, sheet_inputs, [sheet_plot, maps], api_name="unroll",
          show_progress="minimal", trigger_mode="always_last")
    for control in sheet_inputs:
        control.change(None, None, train_note, js="() => ''")  # the autoencoder's note was about the old sheet
    train_button.click(train_autoencoder, sheet_inputs, [maps, train_note], api_name="train_autoencoder")
    warm_up.also(demo, trained_autoencoder, sheet_inputs)  # the lesson's button at its defaults, trained at start
    sample_button.click(noise_vs_natural, [how_many, noise_seed, upload], [gallery, histogram, noise_text],
                        api_name="noise_vs_natural")
    # what a person does (typing, dragging), not `change`: a shared link sets these too, and a change event
    # fired while the page restores them could read a value not yet restored (core.common.links runs the link's)
    gr.on([c.input for c in (first, second, steps)], interpolate, [first, second, steps],
          [pixel_strip, latent_strip, which_digits], api_name="interpolate", trigger_mode="always_last")
    # a shared link's settings and tab, and each result it shows, in one call (cached at defaults)
    link.restore(demo, shown=[links.Shown(unroll, sheet_inputs, [sheet_plot, maps]),
                              links.Shown(interpolate, [first, second, steps], [pixel_strip, latent_strip, which_digits])])
    link.run_if_set(noise_vs_natural, [how_many, noise_seed, upload], [gallery, histogram, noise_text])

if __name__ == "__main__":
    edge.launch(demo)
