"""The one training loop every recipe runs on (Accelerate: CPU, one GPU or several).

A recipe (see `Recipe`) supplies models, optimizers, data and one `training_step`; this loop does
the rest: devices and mixed precision, gradient accumulation, EMA, metrics, sample grids,
atomic resumable checkpoints, SIGTERM handling, and the release (`save_pretrained` + card + push).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm.auto import tqdm

from core.common.images import make_grid, to_pil
from train.card import render_card
from train.checkpoints import find_checkpoint, previous_wall_time, save_checkpoint, truncate_log, warm_start
from train.ema import EMA

Update = Callable[[str, torch.Tensor], None]
clock = time.time  # the wall clock that --max_minutes and the logged wall time read; tests replace it


class Recipe:
    """What a model family adds to the loop. Override the methods marked 'required'."""

    name = "recipe"
    release = "model"  # the key in build_models() that is released with save_pretrained
    also_release: tuple[str, ...] = ()  # other models saved (live weights) in final/<name>/, e.g. a GAN's D
    title = "manifold-lab model"
    description = ""
    data_description = "see the recipe"
    license = "mit"

    def __init__(self, args):
        self.args = args
        self.step = 0

    def build_models(self) -> dict[str, nn.Module]:  # required
        raise NotImplementedError

    def build_dataset(self) -> Dataset:  # required
        raise NotImplementedError

    def training_step(self, models: dict[str, nn.Module], batch, update: Update) -> dict[str, float]:  # required
        """Compute losses, call `update(optimizer_name, loss)` for each, return metrics to log.

        `models` are as Accelerate prepared them (wrapped for several GPUs: call them, but read attributes from
        the modules `build_models` returned). `self.step` is the optimizer step about to be taken (resumed
        runs continue the count)."""
        raise NotImplementedError

    def build_optimizers(self, models: dict[str, nn.Module]) -> dict[str, torch.optim.Optimizer]:
        """One AdamW per model by default, named like the model."""
        return {name: torch.optim.AdamW(m.parameters(), lr=self.args.learning_rate) for name, m in models.items()}

    @torch.no_grad()
    def sample_images(self, models: dict[str, nn.Module], device: torch.device) -> torch.Tensor | None:
        """A (B, C, H, W) batch in [0, 1] for the periodic sample grid, or None; `models` are unwrapped."""
        return None

    @torch.no_grad()
    def evaluate(self, models: dict[str, nn.Module], device: torch.device) -> dict[str, float]:
        """Held-out metrics of the released weights, written to the log and the model card."""
        return {}


def learning_rate_factor(step: int, args) -> float:
    """Multiplier of the peak learning rate at optimizer step `step` (a pure function: resume-safe)."""
    factor = min(1.0, (step + 1) / args.warmup_steps) if args.warmup_steps else 1.0
    if args.lr_schedule == "cosine":
        progress = min(1.0, step / max(1, args.max_steps))
        factor *= 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


class EpochSampler(Sampler[int]):
    """A seeded permutation per epoch, so a resumed run sees exactly the batches it would have seen."""

    def __init__(self, length: int, seed: int):
        self.length, self.seed, self.epoch = length, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.length, generator=generator).tolist())


class Progress:
    """Step counter saved with the checkpoint."""

    def __init__(self):
        self.step = 0

    def state_dict(self) -> dict:
        return {"step": self.step}

    def load_state_dict(self, state: dict) -> None:
        self.step = int(state["step"])


class StopFlag:
    """Set by SIGTERM/SIGINT: the loop finishes its step, checkpoints, and exits cleanly."""

    def __init__(self):
        self.requested = False
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def train(recipe: Recipe) -> dict:
    """Run `recipe` to `args.max_steps`; returns a summary (steps, metrics, output paths)."""
    args = recipe.args
    if args.dry_run:
        args.max_steps, args.checkpoint_every, args.sample_every, args.log_every = 2, 2, 2, 1
    output_dir = Path(args.output_dir)
    log_with = "tensorboard" if args.report_to == "tensorboard" else None
    accelerator = Accelerator(
        mixed_precision=args.mixed_precision,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        log_with=log_with,
        project_dir=str(output_dir),
    )
    set_seed(args.seed)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)

    # 1. Models, optimizers, data, all placed by Accelerate.
    models = recipe.build_models()
    for spec in args.init_from:  # before the optimizers and the EMA see the weights
        name, _, folder = spec.partition("=")
        if name not in models or not folder:
            raise ValueError(f"--init_from {spec}: expected MODEL=FOLDER with MODEL one of {sorted(models)}")
        grown = warm_start(models[name], Path(folder))
        accelerator.print(f"{name}: weights from {folder}" + (f" (grown or new: {', '.join(grown)})" if grown else ""))
    optimizers = recipe.build_optimizers(models)
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            group.setdefault("peak_lr", group["lr"])
    dataset = recipe.build_dataset()
    # Every process draws the same seeded order; `prepare` deals its batches out in turn (process i gets batches
    # i, i + P, ...), so an epoch is `batch_size * num_processes` items. A set smaller than that is one short
    # batch, completed from its start on the processes that lack one, rather than no batch at all.
    global_batch = args.batch_size * accelerator.num_processes
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        sampler=EpochSampler(len(dataset), args.seed),
        drop_last=len(dataset) >= global_batch,
        num_workers=args.num_workers,
        generator=torch.Generator().manual_seed(args.seed),  # keeps the global RNG untouched by new epochs
    )
    names = list(models)
    prepared = accelerator.prepare(*models.values(), *optimizers.values(), loader)
    models = dict(zip(names, prepared[: len(names)], strict=True))
    optimizers = dict(zip(optimizers, prepared[len(names) : -1], strict=True))
    loader = prepared[-1]
    if len(loader) == 0:  # this process's share, after the split
        raise ValueError(f"dataset has {len(dataset)} items: too few for batch size {args.batch_size}")
    if accelerator.num_processes > 1:
        # Weights and data order came from the shared seed; from here each process draws its own noise, latents,
        # augmentations and random crops (the same draws on every process would repeat one batch's randomness P
        # times; with RandomCrops, which draws its crops from the global RNG, the processes would train on the
        # very same crops). A resumed run restores each process's own RNG state.
        set_seed(args.seed, device_specific=True)  # seed + process index

    release = accelerator.unwrap_model(models[recipe.release])
    ema = EMA(release, args.ema_decay) if args.ema_decay > 0 else None
    progress = Progress()
    accelerator.register_for_checkpointing(progress)
    if ema is not None:
        accelerator.register_for_checkpointing(ema)

    # 2. Resume: restore weights, optimizer, RNG, EMA and the step; then skip the batches already seen.
    if args.resume:
        checkpoint = find_checkpoint(output_dir, args.resume)
        if checkpoint is not None:
            accelerator.load_state(str(checkpoint))
            accelerator.print(f"resumed from {checkpoint} at step {progress.step}")
            if accelerator.is_main_process:
                truncate_log(output_dir / "metrics.jsonl", progress.step)
        else:
            accelerator.print(f"--resume {args.resume}: no checkpoint in {output_dir}, starting fresh")

    def update(name: str, loss: torch.Tensor) -> None:
        optimizer = optimizers[name]
        accelerator.backward(loss)
        if accelerator.sync_gradients and args.max_grad_norm > 0:
            accelerator.clip_grad_norm_(models[name].parameters(), args.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    if log_with and accelerator.is_main_process:
        accelerator.init_trackers(recipe.name, config={k: v for k, v in vars(args).items() if v is not None})
    metrics_path = output_dir / "metrics.jsonl"
    batches_per_epoch = len(loader)
    start_step, started = progress.step, clock()
    wall_before = previous_wall_time(metrics_path) if progress.step else 0.0
    last_metrics: dict[str, float] = {}
    stopped_early, last, stopping = False, False, False
    bar = tqdm(total=args.max_steps, initial=start_step, disable=not accelerator.is_local_main_process)

    # 3. The loop: optimizer steps, each over `gradient_accumulation_steps` batches.
    with StopFlag() as stop:
        while progress.step < args.max_steps and not stopping:
            seen = progress.step * args.gradient_accumulation_steps
            epoch, skip = divmod(seen, batches_per_epoch)
            loader.set_epoch(epoch)
            batches = accelerator.skip_first_batches(loader, skip) if skip else loader
            for batch in batches:
                if args.log_batches:
                    log_batch(output_dir, accelerator.process_index, progress.step + 1, batch)
                for model in models.values():
                    model.train()
                factor = learning_rate_factor(progress.step, args)
                for optimizer in optimizers.values():
                    for group in optimizer.param_groups:
                        group["lr"] = group["peak_lr"] * factor
                recipe.step = progress.step
                with accelerator.accumulate(*models.values()):
                    step_metrics = recipe.training_step(models, batch, update)
                if not accelerator.sync_gradients:
                    continue
                progress.step += 1
                bar.update(1)
                if ema is not None:
                    ema.update(release)
                last_metrics = {k: float(v) for k, v in step_metrics.items()}
                elapsed = clock() - started
                last = progress.step >= args.max_steps or out_of_time(accelerator, args, wall_before + elapsed)
                stopping = stop_agreed(accelerator, stop.requested)
                if progress.step % args.log_every == 0 or last:
                    last_metrics = mean_over_processes(accelerator, last_metrics)
                    record = {"step": progress.step, "epoch": epoch, **last_metrics,
                              "wall_time_s": round(wall_before + elapsed, 3),
                              "steps_per_s": round((progress.step - start_step) / max(elapsed, 1e-9), 4)}
                    bar.set_postfix({k: f"{v:.4g}" for k, v in last_metrics.items()})
                    if accelerator.is_main_process:
                        with metrics_path.open("a") as f:
                            f.write(json.dumps(record) + "\n")
                    if log_with:
                        accelerator.log(last_metrics, step=progress.step)
                if progress.step % args.sample_every == 0 or last:
                    save_sample_grid(recipe, models, release, ema, accelerator, output_dir, progress.step)
                if stopping or progress.step % args.checkpoint_every == 0 or last:
                    save_checkpoint(accelerator, output_dir, progress.step, args.checkpoints_total_limit)
                if stopping or last:
                    break
            if last:
                break
        stopped_early = stopping and progress.step < args.max_steps
    bar.close()

    summary = {"step": progress.step, "metrics": last_metrics, "output_dir": str(output_dir),
               "stopped_early": stopped_early}
    if stopped_early:
        accelerator.print(f"stopped by signal at step {progress.step}; resume with --resume latest")
    else:
        summary["final_dir"] = str(release_weights(recipe, models, ema, accelerator, output_dir, progress.step,
                                                   wall_before + clock() - started, last_metrics))
    accelerator.end_training()
    return summary


def stop_agreed(accelerator: Accelerator, requested: bool) -> bool:
    """Did a signal reach any process? A signal reaches each process at its own moment; they must stop after the
    same step, or one waits in the checkpoint's barrier while another waits for gradients, for ever."""
    if accelerator.num_processes == 1:
        return requested
    flag = torch.tensor([float(requested)], device=accelerator.device)
    return bool(accelerator.reduce(flag, "sum").item() > 0)


def mean_over_processes(accelerator: Accelerator, metrics: dict[str, float]) -> dict[str, float]:
    """Each metric averaged over the processes (each computed it on its own share of the batch); every process
    must call this at the same step. The mean of a per-process loss is the loss of the whole batch when the
    shares are equal, as `prepare` makes them; a nonlinear metric (PSNR of the loss) is averaged as it is."""
    if accelerator.num_processes == 1 or not metrics:
        return metrics
    values = torch.tensor(list(metrics.values()), dtype=torch.float32, device=accelerator.device)
    return dict(zip(metrics, accelerator.reduce(values, "mean").tolist(), strict=True))


def log_batch(output_dir: Path, process: int, step: int, batch) -> None:
    """--log_batches: a short hash of every sample this process trains on, one line per batch, in
    batches-<process>.jsonl (to check that processes see different data and a resumed run the same)."""
    parts = [batch] if isinstance(batch, torch.Tensor) else list(batch.values() if isinstance(batch, dict) else batch)
    tensors = [t.detach().cpu().contiguous() for t in parts if isinstance(t, torch.Tensor)]
    samples = []
    for index in range(len(tensors[0]) if tensors else 0):
        digest = hashlib.sha1()
        for tensor in tensors:
            digest.update(tensor[index].numpy().tobytes())
        samples.append(digest.hexdigest()[:12])
    output_dir.mkdir(parents=True, exist_ok=True)
    with (output_dir / f"batches-{process}.jsonl").open("a") as f:
        f.write(json.dumps({"step": step, "process": process, "samples": samples}) + "\n")


def out_of_time(accelerator: Accelerator, args, wall_time_s: float) -> bool:
    """--max_minutes (for equal-time comparisons): the main process's clock decides for every process."""
    if args.max_minutes <= 0:
        return False
    if accelerator.is_main_process and wall_time_s >= args.max_minutes * 60:
        accelerator.set_trigger()
    return accelerator.check_trigger()


def save_sample_grid(recipe, models, release, ema, accelerator, output_dir: Path, step: int) -> Path | None:
    if not accelerator.is_main_process:
        return None
    for model in models.values():
        model.eval()
    unwrapped = {name: accelerator.unwrap_model(model) for name, model in models.items()}
    with ema.swapped_into(release) if ema is not None else contextlib.nullcontext():
        images = recipe.sample_images(unwrapped, accelerator.device)
    if images is None:
        return None
    path = output_dir / "samples" / f"step-{step:07d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    nrow = getattr(recipe, "grid_columns", None) or math.ceil(math.sqrt(len(images)))
    to_pil(make_grid(images.float().cpu(), nrow=nrow)).save(path)
    return path


def release_weights(recipe, models, ema, accelerator, output_dir: Path, step: int, wall_time_s: float,
                    metrics: dict[str, float]) -> Path:
    """Evaluate, save_pretrained and write the card, all with EMA weights swapped in; push if asked."""
    final_dir = output_dir / "final"
    release = accelerator.unwrap_model(models[recipe.release])
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        args = recipe.args
        with ema.swapped_into(release) if ema is not None else contextlib.nullcontext():
            release.eval()
            evaluated = recipe.evaluate({recipe.release: release}, accelerator.device)
            metrics = {**metrics, **{f"eval_{k}": float(v) for k, v in evaluated.items()}}
            release.save_pretrained(final_dir)
        metrics = {**metrics, **({"ema_decay": args.ema_decay} if ema else {})}
        card = dict(description=recipe.description, recipe=recipe.name, data=recipe.data_description,
                    license=recipe.license, steps=step, wall_time_s=wall_time_s, metrics=metrics,
                    hardware=_hardware(accelerator), started_from=list(args.init_from))
        write_card(final_dir, title=recipe.title, **card)
        for name in recipe.also_release:  # e.g. a GAN's D, in its own folder and Hub repo `<repo>-<name>`
            accelerator.unwrap_model(models[name]).save_pretrained(final_dir / name)
            write_card(final_dir / name, title=f"{recipe.title}: {name}", **card)
        with (output_dir / "metrics.jsonl").open("a") as f:
            f.write(json.dumps({"step": step, "final": True, **metrics}) + "\n")
        if args.push_to_hub and not args.dry_run:
            push_folder(final_dir, args.push_to_hub)
            for name in recipe.also_release:
                push_folder(final_dir / name, f"{args.push_to_hub}-{name}")
    accelerator.wait_for_everyone()
    return final_dir


def write_card(folder: Path, **card) -> None:
    config = json.loads((folder / "config.json").read_text())
    (folder / "README.md").write_text(render_card(config=config, **card))


def push_folder(folder: Path, repo_id: str) -> str:
    """Upload a released folder (config, safetensors, card) to a Hub model repo."""
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    info = api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="model",
                             allow_patterns=["config.json", "model.safetensors", "README.md", "model_index.json",
                                             "unet/*", "scheduler/*"],
                             commit_message="Upload weights from manifold-lab trainer")
    return str(info)


def _hardware(accelerator: Accelerator) -> str:
    if accelerator.device.type == "cuda":
        return f"{accelerator.num_processes} x {torch.cuda.get_device_name(accelerator.device)}"
    processes = accelerator.num_processes
    return f"CPU ({os.cpu_count()} cores, {processes} process{'es' if processes > 1 else ''})"
