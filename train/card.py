"""Model cards for released weights: what was trained, on what, how long, and how well.

The front matter is huggingface_hub's `ModelCardData` (license, library, tags), so the Hub reads it as it
reads any card; the body is ours.
"""

from __future__ import annotations

import json
import shlex
import sys

from huggingface_hub import ModelCard, ModelCardData


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
    extra: str = "",
) -> str:
    """A Hub model card (README.md) with front matter, the training command and final metrics."""
    command = command or [sys.executable.rsplit("/", 1)[-1], "-m", f"train.{recipe}", *sys.argv[1:]]
    metric_rows = "\n".join(f"| {name} | {value:.6g} |" for name, value in sorted(metrics.items()))
    minutes = wall_time_s / 60
    card_data = ModelCardData(library_name="pytorch", license=license,
                              tags=["manifold-lab", "pytorch_model_hub_mixin", recipe])
    body = f"""
# {title}

{description}

Part of **manifold-lab**, the teaching companion for the lecture *Image Manifolds & Image Generation*.
Load it with `core.hub.load_pretrained` (safetensors only) or the class's `from_pretrained`.

## Training

- Recipe: `train/{recipe}.py` on the shared Accelerate loop (`train/loop.py`)
- Data: {data}
- Steps: {steps} optimizer steps in {minutes:.1f} min wall time{f" on {hardware}" if hardware else ""}
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
    return str(ModelCard(f"---\n{card_data.to_yaml()}\n---\n{body}"))
