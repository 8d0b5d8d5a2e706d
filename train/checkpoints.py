"""Resumable state on disk: atomic checkpoint folders, finding the latest, and the metrics log around them."""

from __future__ import annotations

import inspect
import json
import os
import shutil
from pathlib import Path

import torch
from accelerate import Accelerator


def find_checkpoint(output_dir: Path, resume: str) -> Path | None:
    """'latest' -> newest checkpoint-N under output_dir (None if there is none); else the given path."""
    if resume != "latest":
        path = Path(resume)
        if not path.is_dir():
            raise FileNotFoundError(f"--resume {resume}: no such checkpoint folder")
        return path
    checkpoints = sorted(output_dir.glob("checkpoint-*[0-9]"), key=lambda p: int(p.name.split("-")[1]))
    return checkpoints[-1] if checkpoints else None


def save_checkpoint(accelerator: Accelerator, output_dir: Path, step: int, keep: int) -> Path:
    """Write resumable state atomically: into a temp folder, then one rename; prune old ones."""
    final = output_dir / f"checkpoint-{step}"
    if accelerator.is_main_process:
        tmp = output_dir / f".checkpoint-{step}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(output_dir / f".checkpoint-{step}.tmp"))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        shutil.rmtree(final, ignore_errors=True)
        os.replace(output_dir / f".checkpoint-{step}.tmp", final)
        checkpoints = sorted(output_dir.glob("checkpoint-*[0-9]"), key=lambda p: int(p.name.split("-")[1]))
        for old in checkpoints[: max(0, len(checkpoints) - keep)]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def truncate_log(metrics_path: Path, step: int) -> None:
    """Drop log records past the checkpoint we resume from (and final records), so steps never repeat."""
    if not metrics_path.exists():
        return
    records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    kept = [r for r in records if r["step"] <= step and not r.get("final")]
    metrics_path.write_text("".join(json.dumps(r) + "\n" for r in kept))


def previous_wall_time(metrics_path: Path) -> float:
    """Wall time logged before a resume, so the model card reports the whole training time."""
    if not metrics_path.exists():
        return 0.0
    records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    times = [r["wall_time_s"] for r in records if "wall_time_s" in r]
    return float(times[-1]) if times else 0.0


def ema_weights(checkpoint: Path) -> dict | None:
    """The EMA shadow weights saved in a checkpoint folder (the weights a release would have), or None."""
    for state_file in sorted(checkpoint.glob("custom_checkpoint_*.pkl")):
        state = torch.load(state_file, map_location="cpu", weights_only=True)  # tensors and numbers only
        if isinstance(state, dict) and "shadow" in state:
            return state["shadow"]
    return None


def model_from_checkpoint(model_class, checkpoint: Path, config_dir: Path):
    """A release model (EMA weights when kept) from a mid-run checkpoint, configured as `config_dir`'s release:
    for measuring a run at every checkpoint (a curve of quality against training time)."""
    if not checkpoint.is_dir():
        raise FileNotFoundError(f"no checkpoint folder {checkpoint}")
    config = json.loads((config_dir / "config.json").read_text())
    model = model_class(**config)
    weights = ema_weights(checkpoint)
    if weights is None:
        raise ValueError(f"{checkpoint} keeps no EMA weights (train with --ema_decay)")
    model.load_state_dict(weights, strict=True)
    return model.eval()


def _config_fits(model_class, folder: Path) -> bool:
    """Does the release's config.json name exactly the arguments of `model_class`? (else it is another kind of model:
    a release's config holds every argument, so a DCGAN's lacks the style-based one's w_dim)"""
    config = json.loads((folder / "config.json").read_text()) if (folder / "config.json").exists() else {}
    return set(config) == set(inspect.signature(model_class.__init__).parameters) - {"self"}


def warm_start(model: torch.nn.Module, folder: Path) -> list[str]:
    """Load a released model's weights into `model`, which may have grown since.

    The release is read by its class's own `from_pretrained` (with the release's config: any layout and dtype
    that loader knows, diffusers' included). A tensor that grew (say a convolution given one more input channel)
    gets the old values in its leading slice and zeros elsewhere, so the grown model starts out computing what
    the released one did. Returns the names of the tensors that grew or are new (new ones keep their fresh
    initialisation). A model with a `widen_from(narrow)` method (the DCGAN generator) grows wider through it
    instead, since zero weights in new channels would never learn. A model with `adopts` (a class) and
    `adopt(other)` starts from a release of that other class when the folder's config is not its own."""
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"--init_from: no released model in {folder}")
    adopts = getattr(model, "adopts", None)  # a model that can start as a copy of another kind (style-based DCGAN)
    if adopts is not None and not _config_fits(type(model), Path(folder)):
        model.adopt(adopts.from_pretrained(str(folder)))
        return sorted(model.state_dict())
    released = type(model).from_pretrained(str(folder))
    source, target = released.state_dict(), model.state_dict()
    widen = getattr(model, "widen_from", None)  # a model that knows how to grow wider while computing the same
    if widen is not None and any(source[name].shape != tensor.shape for name, tensor in target.items() if name in source):
        widen(released)
        return sorted(name for name, tensor in target.items() if name not in source or source[name].shape != tensor.shape)
    unknown = sorted(set(source) - set(target))
    if unknown:
        raise ValueError(f"{folder}: weights {unknown[:3]} have no place in {type(model).__name__}")
    changed = []
    with torch.no_grad():
        for name, tensor in target.items():
            old = source.get(name)
            if old is None:
                changed.append(name)
            elif old.shape == tensor.shape:
                tensor.copy_(old)
            elif old.ndim == tensor.ndim and all(a <= b for a, b in zip(old.shape, tensor.shape, strict=True)):
                tensor.zero_()
                tensor[tuple(slice(0, n) for n in old.shape)] = old
                changed.append(name)
            else:
                raise ValueError(f"{folder}: {name} is {tuple(old.shape)}, cannot grow into {tuple(tensor.shape)}")
    return changed
