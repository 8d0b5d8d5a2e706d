"""Model cards for released weights: what was trained, on what, how long, and how well.

The front matter is huggingface_hub's `ModelCardData` (license, library, tags, datasets and the held-out
metrics as `eval_results`), so the Hub reads it as it reads any card and shows our numbers on the model
page; the body is ours. `hub_card` gives an older card that front matter, from its own body.
"""

from __future__ import annotations

import json
import re
import shlex
import sys

from huggingface_hub import EvalResult, ModelCard, ModelCardData

# Where our data comes from, as the Hub names it (the dataset id) and as a reader does.
DATASETS = {
    "mnist": ("ylecun/mnist", "MNIST"),
    "ffhq": ("nvidia/ffhq", "FFHQ (held-out split)"),
    "facades": ("huggan/facades", "CMP Facades (val)"),
    "edges2shoes": ("huggan/edges2shoes", "edges2shoes (val)"),
    "bsd": ("bsds500", "BSD100"),
}
TASK_TYPES = {  # the Hub's pipeline tags
    "autoencoder": "image-feature-extraction", "colorization": "image-to-image", "denoiser": "image-to-image",
    "denoising": "image-to-image", "pix2pix": "image-to-image", "super_resolution": "image-to-image",
    "gan": "unconditional-image-generation", "diffusion": "unconditional-image-generation",
    "image_prediction": "image-segmentation",
}


def dataset_of(data: str) -> tuple[str, str] | None:
    """The Hub id and a readable name of the data a card's `Data:` line describes, if we know it."""
    lowered = data.lower()
    return next((found for key, found in DATASETS.items() if key in lowered), None)


BASELINE_METRICS = re.compile(r"^eval_(bicubic_.*|.*_ground_truth|.*baseline.*)$")  # not this model's own numbers


def card_data(*, title: str, recipe: str, data: str, license: str, metrics: dict[str, float]) -> ModelCardData:
    """Front matter in the Hub's conventions; this model's held-out metrics (`eval_*`, not the baselines
    measured beside it) become `eval_results`. A GAN's discriminator is an image classifier."""
    dataset = dataset_of(data)
    discriminator = "discriminator" in title.lower()
    task = "image-classification" if discriminator else TASK_TYPES.get(recipe, "image-to-image")
    results = [EvalResult(task_type=task, dataset_type=dataset[0], dataset_name=dataset[1],
                          metric_type=name.removeprefix("eval_"), metric_value=round(float(value), 6))
               for name, value in sorted(metrics.items())
               if dataset and name.startswith("eval_") and not BASELINE_METRICS.match(name) and not discriminator]
    return ModelCardData(library_name="pytorch", license=license, pipeline_tag=task,
                         tags=["manifold-lab", "pytorch_model_hub_mixin", recipe],
                         datasets=[dataset[0]] if dataset else None,
                         model_name=title if results else None, eval_results=results or None)


def hub_card(text: str) -> str:
    """An existing card with its front matter rebuilt by `card_data`, read from the card's own body."""
    card = ModelCard(text)
    body = card.text
    recipe = re.search(r"Recipe: `train/(\w+)\.py`", body)
    data = re.search(r"^- Data: (.*)$", body, re.MULTILINE)
    title = re.search(r"^# (.+)$", body, re.MULTILINE)
    table = body.split("## Final metrics", 1)[1].split("\n## ", 1)[0] if "## Final metrics" in body else ""
    metrics = {m[0]: float(m[1]) for m in re.findall(r"^\| (\w+) \| ([-+0-9.eE]+) \|$", table, re.MULTILINE)}
    judged = re.search(r"^\| this one[^|]*\| (\d+)% \| ([0-9.]+)[^|]*\| \**([0-9.]+)\** \|", body, re.MULTILINE)
    if judged:  # the face judge's row for this release (bench.gan_realism), in the card's own table
        metrics |= {"eval_face_detected": float(judged[1]) / 100, "eval_face_fd": float(judged[2]),
                    "eval_face_fd_gap": float(judged[3])}
    fresh = card_data(title=title[1] if title else "manifold-lab model", recipe=recipe[1] if recipe else "",
                      data=data[1] if data else "", license=card.data.get("license") or "mit", metrics=metrics)
    return str(ModelCard(f"---\n{fresh.to_yaml()}\n---\n{body}"))


def render_card(
    *,
    title: str,
    description: str,
    recipe: str,
    data: str,
    license: str,
    steps: int,
    wall_time_s: float,
    metrics: dict[str, float],
    config: dict,
    command: list[str] | None = None,
    hardware: str = "",
    started_from: list[str] | None = None,
    extra: str = "",
) -> str:
    """A Hub model card (README.md) with front matter, the training command and final metrics."""
    command = command or [sys.executable.rsplit("/", 1)[-1], "-m", f"train.{recipe}", *sys.argv[1:]]
    metric_rows = "\n".join(f"| {name} | {value:.6g} |" for name, value in sorted(metrics.items()))
    minutes = wall_time_s / 60
    lineage = ("\n- Started from released weights (`--init_from`): " + ", ".join(f"`{spec}`" for spec in started_from)
               + "; the steps and time above are this run's alone") if started_from else ""
    front = card_data(title=title, recipe=recipe, data=data, license=license, metrics=metrics)
    body = f"""
# {title}

{description}

Part of **manifold-lab**, the teaching companion for the lecture *Image Manifolds & Image Generation*.
Load it with `core.hub.load_pretrained` (safetensors only) or the class's `from_pretrained`.

## Training

- Recipe: `train/{recipe}.py` on the shared Accelerate loop (`train/loop.py`)
- Data: {data}
- Steps: {steps} optimizer steps in {minutes:.1f} min wall time{f" on {hardware}" if hardware else ""}{lineage}
- Command:

```bash
{shlex.join(command)}
```

## Final metrics

| metric | value |
|---|---|
{metric_rows or "| (none logged) | |"}

## Config

```json
{json.dumps(config, indent=2, sort_keys=True)}
```
{extra}
"""
    return str(ModelCard(f"---\n{front.to_yaml()}\n---\n{body}"))
