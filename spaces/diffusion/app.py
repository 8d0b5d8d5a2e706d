"""Diffusion: a denoiser applied many times walks from pure noise onto the image manifold."""

import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
import torch
import torch.nn.functional as F

from core.common import edge, links
from core.common.display import weights_note
from core.common.made_ahead import MadeAhead, weights_digest
from core.common.mnist import example_digits
from core.common.seeds import MAX_SEED, parse_seeds
from core.diffusion.figures import LARGE, grid, trajectory_strip, write_animation
from core.diffusion.model import DiffusionModel, denoise_from, noise_to_level, predict_clean, sample
from core.diffusion.text import TextToImageModel, sample_from_text, words_of
from core.gan.dcgan import DCGANGenerator
from core.gan.style_dcgan import StyleDCGANGenerator
from core.hub import load_pretrained

DIGITS_REPO, FACES_REPO = "manifold-lab/digits-diffusion", "manifold-lab/faces-diffusion"
EMOJI_REPO = "manifold-lab/emoji-diffusion"
# The GANs to set beside the face DDPM: the best one (the GANs Space's default), and the one trained on the same 895
# FFHQ photos as the DDPM (the fair pair). Both 64x64.
STYLE_GAN, SAME_DATA_GAN = "Style-based DCGAN (our best GAN)", "DCGAN (the same 895 photos)"
GAN_REPOS = {STYLE_GAN: "manifold-lab/style-dcgan-faces", SAME_DATA_GAN: "manifold-lab/dcgan-faces"}
GAN_CLASSES = {STYLE_GAN: StyleDCGANGenerator, SAME_DATA_GAN: DCGANGenerator}
# `python -m bench.gan_realism` (2026-12-03, 100 samples vs 100 held-out FFHQ faces): how often dlib's detector
# finds a face, and the gap of dlib's face-embedding FD (0 = real photos, 1 = NVIDIA's StyleGAN).
FACE_JUDGE = {"diffusion": "a face detected in 96% of samples, gap 1.34 (50 DDIM steps)",
              SAME_DATA_GAN: "a face detected in 97% of samples, gap 1.49",
              STYLE_GAN: "a face detected in 99% of samples, gap 3.75 against FFHQ's faces (1.11 against held-out "
                         "faces of its own mix)"}
TRAINED_ON = {SAME_DATA_GAN: "Both were trained on the same 895 FFHQ faces at 64x64, a fair pair.",
              STYLE_GAN: "The GAN saw more faces: 9,700 FFHQ and CelebA faces (nine in ten from CelebA, which is why "
                         "its gap against FFHQ's faces is large) against the DDPM's 895 FFHQ photos. Switch to the "
                         "DCGAN for a pair trained on the same photos."}
MAX_SEEDS, MAX_STEPS = 16, 250
# A request costs about 0.06 to 0.08 CPU-s per image-step (seeds x steps) with the faces model, 0.013 with digits, on one
# thread (`python -m bench.worst_case`); a free Space's 2 vCPUs serve a class, so one request stays near 10 s.
MAX_IMAGE_STEPS = {"digits": 750, "faces": 128, "emoji": 400}
# The guidance sweep: the first seed at each of these scales, beside the samples (0 = the unconditional model)
SWEEP = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)
MAX_GUIDANCE, MAX_TEXT_STEPS, MAX_PROMPT = 10.0, 50, 120
SAMPLERS = {"DDIM (deterministic)": "ddim", "DDPM (ancestral, fresh noise each step)": "ddpm"}
# DDPM by default: at 25 steps the digits model's DDPM samples were clean strokes where DDIM's were grainy and
# often broken (looked at, seeds 0-7); the face model's were smoother under DDPM, sharper with artefacts under DDIM
DEFAULT_SAMPLER = "DDPM (ancestral, fresh noise each step)"

DESCRIPTION = """# 🌫️ Diffusion: a denoiser, applied many times
A diffusion model is trained on one job: given an image with noise of a known strength t, predict the noise
(equivalently, the clean image x0). To *generate*, start from pure noise and denoise a little, again and again:
each step moves the sample closer to the image manifold. Small DDPMs (diffusers `UNet2DModel`) trained here
on MNIST digits (32x32) and FFHQ faces (64x64), and one that draws emoji from a description (32x32). Compare
with the **Denoising** and **GANs** Spaces."""
TEXT_INTRO = """**Generate from a description.** The same kind of denoiser, told what to draw: trained here on 3,311 emoji
(Google's Noto Emoji, Apache-2.0), each with the words of its name and category (*red heart*, *cat face*, *flag*). The
text encoder is a bag of words: every word it knows has a learned vector, a description is their average, and the
U-Net hears it at every step. In training the words were dropped 15% of the time, so the same network also knows
how to draw *an* emoji with no description. **Classifier-free guidance** (Ho & Salimans 2022) mixes the two answers
at every step: eps = eps(no words) + w (eps(words) - eps(no words)). Its limits are honest ones: it knows only
the words in emoji names and draws blends for combinations it never saw: this is why text-to-image models
(Stable Diffusion, DALL-E, Imagen) train on billions of captioned images and read text with a large language model."""
# What a student should see in each tab's result at its default settings (checked against what it shows).
NOTICES = {
    "generate": "**What to notice:** in the strip, the bottom row (the model's guess of the clean image, x0) settles "
                "on a shape in the first third of the strip, while the top row (the sample x_t) is still mostly "
                "noise; the later steps only sharpen it. Not every sample is a digit: seed 4 ends as strokes that "
                "are no digit; a small model's samples can land off the manifold. Switch the sampler to DDIM: with "
                "25 steps this model's digits come out grainier and more often broken.",
    "denoise": "**What to notice:** at t = 500 the noisy image is about equal parts signal and noise, yet both "
               "recover a 3: the one-call guess with soft edges, the walk sharp but not quite the original (its top "
               "curve differs): the walk picks one image that fits the noise, not the one that was there. Raise t: "
               "the one-call guess turns into a blurry 8 (t = 750), then a blob (t = 900), where the walk draws a "
               "new digit, an 8.",
    "text": "**What to notice:** the words set the colour and the kind of thing before the shape: *red heart* gives "
            "red blobs and red tiles, *blue heart* blue-grey ones, *grinning face* round yellow faces with dark "
            "eyes and mouth, *car* a red-and-blue vehicle-like jumble. In the sweep, guidance 0 is the same picture "
            "whatever you type (the unconditional model); from 1 up the words take over, and high scales saturate "
            "the colours. Shapes stay rough: 3,300 pictures and a bag of words are far too little (a held-out check: "
            "a classifier finds the prompted category in 11% of samples at guidance 0, 47% at 1 and 3).",
    "versus": "**What to notice:** the cost first: 25 network calls per diffusion face against the GAN's one, about "
              "two orders of magnitude slower (the note has this machine's times). Here the diffusion faces span "
              "more ages (a toddler, a child in a cap, two adults); the style-based GAN's are four adults with "
              "CelebA's celebrity-photo look (make-up, sunglasses), the first with streaks across its face. Four "
              "faces prove little, which is why the note quotes a bench of 100.",
}

models, sources = {}, {}
models["digits"], sources["digits"] = load_pretrained(DiffusionModel, DIGITS_REPO)
models["faces"], sources["faces"] = load_pretrained(DiffusionModel, FACES_REPO)
models["emoji"], sources["emoji"] = load_pretrained(TextToImageModel, EMOJI_REPO)
KNOWN_WORDS = sorted(models["emoji"].vocabulary)
gans, gan_sources = {}, {}
for name, repo in GAN_REPOS.items():
    gans[name], gan_sources[name] = load_pretrained(GAN_CLASSES[name], repo)
MODEL_NAMES = {"Digits (MNIST)": "digits", "Faces (FFHQ)": "faces"}
FACE_SIZE = models["faces"].image_size
with np.load(Path(__file__).parent / "example_faces_64.npz") as data:  # held-out FFHQ faces, at the model's size
    EXAMPLE_FACES = F.interpolate(torch.from_numpy(data["images"]).permute(0, 3, 1, 2).float() / 127.5 - 1,
                                  size=FACE_SIZE, mode="area")
EXAMPLE_DIGITS = F.pad(torch.from_numpy(example_digits()[0][::50]), (2, 2, 2, 2))[:, None] * 2 - 1  # 28 -> 32 px
EXAMPLES = {"digits": EXAMPLE_DIGITS, "faces": EXAMPLE_FACES}
ANIMATIONS = Path(tempfile.mkdtemp(prefix="diffusion-animations-"))  # bounded: the newest 64 walks
# The four default views (17 CPU-s on one thread), made ahead: `python -m core.common.made_ahead diffusion`
MADE_AHEAD = MadeAhead(Path(__file__).parent, weights_digest(*models.values(), *gans.values()))


def within_budget(key, seeds, steps) -> None:
    budget = MAX_IMAGE_STEPS[key]
    if len(seeds) * steps > budget:
        raise edge.UserInputError(
            f"{len(seeds)} seeds x {steps} steps is {len(seeds) * steps} image-steps; this free CPU serves at most "
            f"{budget} per request for {key} (e.g. {min(MAX_SEEDS, budget // 25)} seeds x 25 steps, or 1 seed x {min(budget, MAX_STEPS)}"
            " steps). Use fewer seeds or steps.")


@edge.remember(images_as_files=True, made_ahead=MADE_AHEAD)  # seeded: the page's default views are computed once, not per visitor
@torch.inference_mode()
def generate(model_name, seeds_text, steps, sampler_name):
    key = MODEL_NAMES[model_name]
    model, seeds, steps = models[key], parse_seeds(seeds_text, limit=MAX_SEEDS), int(steps)
    within_budget(key, seeds, steps)
    started = time.perf_counter()
    trajectory = sample(model, seeds, steps=steps, sampler=SAMPLERS[sampler_name], record=True)
    seconds = time.perf_counter() - started
    note = (f"{len(seeds)} image{'s' * (len(seeds) > 1)}, {steps} {SAMPLERS[sampler_name].upper()} steps, "
            f"{seconds:.2f} s on this machine ({1000 * seconds / steps:.0f} ms a step). The strip and the animation "
            f"follow seed {seeds[0]}: top, the sample x_t; bottom, what the model thinks the clean image is.")
    return grid(trajectory.final), trajectory_strip(trajectory), str(write_animation(trajectory, ANIMATIONS)), note


@edge.remember(images_as_files=True, made_ahead=MADE_AHEAD)  # seeded: the page's default views are computed once, not per visitor
@torch.inference_mode()
def one_step(model_name, example_index, timestep, seed):
    key = MODEL_NAMES[model_name]
    model, examples = models[key], EXAMPLES[key]
    clean, t = examples[int(example_index)][None], int(timestep)  # the sliders' ranges are checked at the edge
    noisy = noise_to_level(model, clean, t, int(seed))
    guess = predict_clean(model, noisy, t)
    walk = denoise_from(model, noisy, t, steps=50)
    row = torch.cat([clean, noisy.clamp(-1, 1), guess, walk.final])
    alpha_bar = float(model.alphas_cumprod[t])
    note = (f"At t = {t}, x_t = {alpha_bar ** 0.5:.3f} x0 + {(1 - alpha_bar) ** 0.5:.3f} noise. One network call "
            f"(the denoiser) gives the blurry average of every image that could lie under this noise; "
            f"{len(walk.samples)} small DDIM steps instead pick *one* of them: a sharp image, near the manifold, "
            "that need not be the original.")
    return grid(row, tile=LARGE), trajectory_strip(walk), note


@edge.remember(images_as_files=True, made_ahead=MADE_AHEAD)  # seeded: the page's default views are computed once, not per visitor
@torch.inference_mode()
def versus_gan(seeds_text, steps, gan_name=STYLE_GAN):
    seeds, steps, gan = parse_seeds(seeds_text, limit=MAX_SEEDS), int(steps), gans[gan_name]
    within_budget("faces", seeds, steps)
    started = time.perf_counter()
    diffused = sample(models["faces"], seeds, steps=steps).final
    diffusion_seconds = time.perf_counter() - started
    started = time.perf_counter()
    generated = gan.sample(seeds) * 2 - 1  # [0, 1] -> [-1, 1], like the diffusion samples
    gan_seconds = time.perf_counter() - started
    generated = F.interpolate(generated, size=diffused.shape[-2:], mode="area")  # the same size, to compare
    count = len(seeds)
    note = (f"**Diffusion**: {steps} network calls per image, {1000 * diffusion_seconds / count:.0f} ms per image here; "
            f"{FACE_JUDGE['diffusion']}. **GAN**: one call, {1000 * gan_seconds / count:.1f} ms "
            f"per image ({diffusion_seconds / max(gan_seconds, 1e-6):.0f}x faster); {FACE_JUDGE[gan_name]}. "
            f"{TRAINED_ON[gan_name]} The price of diffusion is time; what it buys is coverage: "
            "the GAN's samples are nearly all faces, but its gap is larger, while the diffusion model's spread of "
            "identities, ages and poses sits nearer the real one (a gap of 0.51 is the best any 64x64 model could "
            "score)."
            "\n\n*How we judge faces:* a face detector (dlib's) says whether a sample is a face at all; the **gap** "
            "is how far the samples' spread of faces (identities, ages, poses, as dlib's face-recognition network "
            "describes them) lies from real photos' spread: the Fréchet distance between the two, scaled so that "
            "0 is other real photos and 1 is NVIDIA's StyleGAN.")
    return grid(diffused, columns=4, tile=128), grid(generated, columns=4, tile=128), note


def words_note(prompt: str) -> str:
    """Which of the prompt's words the model knows (they steer it) and which it ignores."""
    words = list(dict.fromkeys(words_of(prompt)))
    known = [w for w in words if w in models["emoji"].word_ids]
    unknown = [w for w in words if w not in models["emoji"].word_ids]
    if not known:
        return ("**None of these words is one the model knows**, so every guidance scale gives the unconditional "
                "model's pictures" + (f" (ignored: {', '.join(unknown)})" if unknown else "") + ". Try words from the "
                "list below, like *red heart*, *cat face* or *flag*.")
    note = f"Words it knows (these steer it): **{', '.join(known)}**."
    return note + (f" Words it has never seen (ignored): {', '.join(unknown)}." if unknown else "")


@edge.remember(images_as_files=True, made_ahead=MADE_AHEAD)  # seeded: the page's default view is computed once, not per visitor
@torch.inference_mode()
def from_text(prompt, guidance, seeds_text, steps):
    prompt = prompt.strip()
    if not prompt:
        raise edge.UserInputError("Type a description, e.g. 'red heart' or 'cat face'.")
    model, seeds, steps = models["emoji"], parse_seeds(seeds_text, limit=MAX_SEEDS), int(steps)
    within_budget("emoji", seeds + [seeds[0]] * len(SWEEP), steps)  # the sweep costs as much as six more seeds
    started = time.perf_counter()
    samples = sample_from_text(model, prompt, seeds, steps=steps, guidance=float(guidance)).final
    seconds = time.perf_counter() - started
    sweep = torch.cat([sample_from_text(model, prompt, seeds[:1], steps=steps, guidance=g).final for g in SWEEP])
    note = (f"{words_note(prompt)} {len(seeds)} image{'s' * (len(seeds) > 1)} at guidance {float(guidance):g}, "
            f"{steps} DDIM steps, {seconds:.2f} s on this machine (two network calls a step: with and without the "
            "words).")
    return grid(samples), grid(sweep, columns=len(SWEEP), tile=128), note


# Tiles are enlarged with nearest neighbour; the browser must not smooth them again when it fits them to a box.
CSS = ".pixelated img { image-rendering: pixelated; }"

with gr.Blocks(title="Diffusion") as demo:
    gr.Markdown(DESCRIPTION)
    gr.Markdown(weights_note({"digits": sources["digits"], "faces": sources["faces"], "emoji": sources["emoji"],
                              "style-based GAN": gan_sources[STYLE_GAN], "DCGAN": gan_sources[SAME_DATA_GAN]}))
    with gr.Tabs() as tabs:
        with gr.Tab("Generate", id="generate"):
            with gr.Row():
                model_name = gr.Radio(list(MODEL_NAMES), value="Digits (MNIST)", label="Model")
                seeds = gr.Textbox("0-7", label="Seeds", info=f"a list or ranges, at most {MAX_SEEDS}; seed i always starts from the same noise")
                steps = gr.Slider(1, MAX_STEPS, 25, step=1, label="Denoising steps",
                                  info=f"few steps: fast but coarse; the model was trained on 1,000 noise levels. Per request at most "
                                       f"{MAX_IMAGE_STEPS['digits']} (digits) or {MAX_IMAGE_STEPS['faces']} (faces) seeds x steps")
                sampler = gr.Radio(list(SAMPLERS), value=DEFAULT_SAMPLER, label="Sampler")
            run = gr.Button("Generate", variant="primary")
            with gr.Row():
                samples = gr.Image(label="samples", format="png", elem_classes="pixelated")
                animation = gr.Image(label="the walk from noise, x_t | predicted x0", type="filepath")
            strip = gr.Image(label="reverse trajectory: x_t (top) and predicted x0 (bottom), noise → image", format="png", elem_classes="pixelated")
            generate_note = gr.Markdown()
            gr.Markdown(NOTICES["generate"])
            links.copy_button()
        with gr.Tab("Denoiser vs diffusion", id="denoise"):
            gr.Markdown("Take a real image, add noise of strength t, then compare **one** denoising call with the "
                        "**walk** of small steps from that noise level (SDEdit). Low t: both give the image back. "
                        "High t: the one-shot guess is a blur, the walk invents a new, sharp image.")
            with gr.Row():
                denoise_model = gr.Radio(list(MODEL_NAMES), value="Digits (MNIST)", label="Model")
                example = gr.Slider(0, 9, 3, step=1, label="Example image (held-out: never trained on)")
                timestep = gr.Slider(0, 999, 500, step=1, label="Noise level t")
                noise_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Noise seed")
            comparison = gr.Image(label="clean | noisy x_t | one-step x0 guess | after the walk", format="png", elem_classes="pixelated")
            walk_strip = gr.Image(label="the walk from x_t: x_t (top) and predicted x0 (bottom)", format="png", elem_classes="pixelated")
            denoise_note = gr.Markdown()
            gr.Markdown(NOTICES["denoise"])
            links.copy_button()
        with gr.Tab("Diffusion vs GAN", id="versus"):
            with gr.Row():
                versus_seeds = gr.Textbox("0-3", label="Seeds")
                versus_steps = gr.Slider(1, 100, 25, step=1, label="Diffusion steps")
                versus_model = gr.Radio(list(GAN_REPOS), value=STYLE_GAN, label="GAN")
            with gr.Row():
                diffusion_faces = gr.Image(label=f"diffusion ({FACE_SIZE}x{FACE_SIZE})", format="png", elem_classes="pixelated")
                gan_faces = gr.Image(label=f"GAN (one call per face, shown at {FACE_SIZE}x{FACE_SIZE})", format="png",
                                     elem_classes="pixelated")
            versus_note = gr.Markdown()
            gr.Markdown(NOTICES["versus"])
            links.copy_button()
        with gr.Tab("From a description", id="text"):
            gr.Markdown(TEXT_INTRO)
            with gr.Row():
                prompt = gr.Textbox("red heart", label="Description (the prompt)", max_length=MAX_PROMPT, max_lines=1,
                                    info="a few words; only the words it knows steer it (listed below)")
                guidance = gr.Slider(0, MAX_GUIDANCE, 3, step=0.5, label="Guidance scale",
                                     info="0: ignore the words (the unconditional model); 1: the plain conditional "
                                          "model; higher: pushed harder towards what the words single out")
                text_seeds = gr.Textbox("0-7", label="Seeds", info=f"at most {MAX_SEEDS}")
                text_steps = gr.Slider(1, MAX_TEXT_STEPS, 25, step=1, label="Denoising steps (DDIM)")
            draw = gr.Button("Generate", variant="primary")
            with gr.Row():
                text_samples = gr.Image(label="samples", format="png", elem_classes="pixelated")
                text_sweep = gr.Image(label=f"the first seed at guidance {', '.join(f'{g:g}' for g in SWEEP)}",
                                      format="png", elem_classes="pixelated")
            text_note = gr.Markdown()
            gr.Markdown(NOTICES["text"])
            with gr.Accordion(f"The {len(KNOWN_WORDS):,} words it knows", open=False):
                gr.Markdown(", ".join(KNOWN_WORDS))
            links.copy_button()

    link = links.Link({"model": model_name, "seeds": seeds, "steps": steps, "sampler": sampler,
                       "denoise_model": denoise_model, "image": example, "t": timestep, "noise_seed": noise_seed,
                       "versus_seeds": versus_seeds, "versus_steps": versus_steps, "gan": versus_model,
                       "prompt": prompt, "guidance": guidance, "text_seeds": text_seeds, "text_steps": text_steps}, tabs)
    gr.on([run.click, seeds.submit], generate, [model_name, seeds, steps, sampler],
          [samples, strip, animation, generate_note], api_name="generate", concurrency_limit=2)
    gr.on([denoise_model.change, example.input, timestep.input, noise_seed.change], one_step,
          [denoise_model, example, timestep, noise_seed], [comparison, walk_strip, denoise_note], api_name="one_step",
          trigger_mode="always_last")  # sliders: .input fires for typed values too; a drag runs twice at most
    gr.on([versus_seeds.submit, versus_steps.input, versus_model.change], versus_gan, [versus_seeds, versus_steps, versus_model],
          [diffusion_faces, gan_faces, versus_note], api_name="versus_gan", concurrency_limit=2, trigger_mode="always_last")
    gr.on([draw.click, prompt.submit, text_seeds.submit], from_text, [prompt, guidance, text_seeds, text_steps],
          [text_samples, text_sweep, text_note], api_name="from_text", concurrency_limit=2)
    # a shared link's settings and tab, and each result, in one call at defaults (cached); a result a link changed
    # runs after it as its own event
    link.restore(demo, shown=[
        links.Shown(generate, [model_name, seeds, steps, sampler], [samples, strip, animation, generate_note],
                    concurrency_limit=2),
        links.Shown(one_step, [denoise_model, example, timestep, noise_seed], [comparison, walk_strip, denoise_note]),
        links.Shown(from_text, [prompt, guidance, text_seeds, text_steps], [text_samples, text_sweep, text_note],
                    concurrency_limit=2),
        links.Shown(versus_gan, [versus_seeds, versus_steps, versus_model], [diffusion_faces, gan_faces, versus_note],
                    concurrency_limit=2)])

if __name__ == "__main__":
    edge.launch(demo, css=CSS)
