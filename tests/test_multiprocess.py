"""Training on several processes: each recipe's dry run on 2 CPU processes (torch.distributed.run, gloo), the
split of the data between them, the losses of 2 processes against 1 at the same global batch, and SIGTERM.

Each test starts real processes (tens of seconds on two cores), so all are marked slow; the recipes' dry runs
share one launch (tests/recipes_in_one_launch.py). `--log_batches` makes
every process write a hash of each sample it trains on, which is how these tests see who got what.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Accelerate on the CPU with the gloo backend; one thread per process (the two share the machine's cores).
ENVIRONMENT = {**os.environ, "ACCELERATE_USE_CPU": "1", "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
               "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
DRY_RUN = ["--dry_run", "--log_batches"]

# Each recipe's tiny configuration, on synthetic images that are all different from one another (fields,
# gratings, blobs: so two processes given different items give different hashes), with a batch small enough
# that the training set holds one for each process.
RECIPES = {
    "toy": ["train.toy", "--batch_size", "8"],
    "autoencoder": ["train.autoencoder", "--data", "synthetic:fields", "--base_channels", "4", "--hidden_dim", "16",
                    "--eval_count", "16", "--batch_size", "8"],
    "colorization": ["train.colorization", "--data", "synthetic:fields", "--eval_data", "synthetic:fields",
                     "--eval_count", "2", "--crop", "32", "--base_channels", "8", "--batch_size", "4"],
    "denoising": ["train.denoising", "--data", "synthetic:fields", "--eval_data", "synthetic:fields", "--eval_count",
                  "2", "--crop", "32", "--base_channels", "8", "--levels", "2", "--batch_size", "4"],
    "diffusion": ["train.diffusion", "--data", "synthetic:fields", "--image_size", "16", "--block_channels", "8,16",
                  "--attention_levels", "1", "--norm_groups", "4", "--batch_size", "8"],
    "diffusion-text": ["train.diffusion", "--text", "--data", "synthetic:captioned", "--image_size", "16",
                       "--block_channels", "8,16", "--attention_levels", "1", "--norm_groups", "4", "--eval_count", "2",
                       "--judge_steps", "5", "--batch_size", "8"],
    "gan-dcgan": ["train.gan", "--arch", "dcgan", "--data", "synthetic:fields", "--image_size", "16",
                  "--base_channels", "8", "--batch_size", "8"],
    "gan-style-dcgan": ["train.gan", "--arch", "style-dcgan", "--data", "synthetic:fields", "--image_size", "16",
                        "--base_channels", "4", "--batch_size", "8"],
    "gan-stylegan": ["train.gan", "--arch", "stylegan", "--data", "synthetic:fields", "--image_size", "16",
                     "--channel_base", "128", "--batch_size", "8"],
    "gan-fastgan": ["train.gan", "--arch", "fastgan", "--data", "synthetic:fields", "--image_size", "32",
                    "--base_channels", "4", "--batch_size", "8"],
    "image-prediction": ["train.image_prediction", "--data", "synthetic:streets", "--eval_data", "synthetic:streets",
                         "--width", "64", "--height", "48", "--crop_width", "48", "--crop_height", "32", "--widths",
                         "4,8", "--blocks", "1,1", "--eval_count", "2", "--batch_size", "4"],
    "image-prediction-depth": ["train.image_prediction", "--task", "depth", "--data", "synthetic:faces", "--widths",
                               "4,8", "--hidden", "16", "--fine_width", "4", "--batch_size", "4"],
    "pix2pix": ["train.pix2pix", "--task", "grayscale", "--data", "synthetic:fields", "--image_size", "32",
                "--base_channels", "8", "--max_channels", "32", "--eval_count", "2", "--batch_size", "4"],
    "super-resolution": ["train.super_resolution", "--loss", "feature+gan", "--data", "synthetic:gratings",
                         "--eval_data", "synthetic:gratings", "--eval_count", "2", "--crop", "32", "--width", "8",
                         "--blocks", "1", "--d_channels", "8", "--d_layers", "2", "--batch_size", "4"],
    "style-transfer": ["train.style_transfer", "--style", "synthetic:stripes", "--data", "synthetic:fields",
                       "--eval_data", "synthetic:fields", "--eval_count", "2", "--crop", "32", "--width", "4",
                       "--blocks", "1", "--batch_size", "4"],
}

# The GANs' default batch of 32 on a set of 48 training images (test_a_data_set_smaller_than_two_batches_...)
SMALL_SET = {"small-set": ["train.gan", "--arch", "dcgan", "--data", "synthetic:fields", "--image_size", "16",
                           "--base_channels", "4"]}


def launch(arguments: list[str], output_dir: Path, processes: int = 2, timeout: int = 300):
    """`python -m torch.distributed.run --nproc_per_node N -m MODULE ...` (a free port each time: --standalone)."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
               "-m", *arguments, "--output_dir", str(output_dir)]
    return subprocess.run(command, cwd=REPO_ROOT, env=ENVIRONMENT, capture_output=True, text=True, timeout=timeout)


def records(output_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]


def batches(output_dir: Path, process: int) -> dict[int, list[str]]:
    """{optimizer step: hashes of the samples `process` trained on in it}."""
    lines = (output_dir / f"batches-{process}.jsonl").read_text().splitlines()
    return {r["step"]: r["samples"] for r in map(json.loads, lines)}


@pytest.fixture(scope="module")
def every_recipe_on_two_processes(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Every recipe's dry run, one after another, in one launch of two processes (tests/recipes_in_one_launch.py:
    the imports and the gloo start paid once, not twelve times)."""
    root = tmp_path_factory.mktemp("recipes")
    recipes = json.dumps({name: [*arguments, *DRY_RUN] for name, arguments in {**RECIPES, **SMALL_SET}.items()})
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
               "tests.recipes_in_one_launch", str(root), recipes]
    done = subprocess.run(command, cwd=REPO_ROOT, env=ENVIRONMENT, capture_output=True, text=True, timeout=280)
    return root, done


@pytest.mark.slow
@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_each_recipe_trains_on_two_processes_with_one_checkpoint_one_release_and_split_data(
        recipe, every_recipe_on_two_processes):
    root, done = every_recipe_on_two_processes
    tmp_path = root / recipe
    assert done.returncode == 0 and (tmp_path / "final").exists(), done.stderr[-3000:]  # (or one before it failed)
    # one writer: each step logged once, one final record, one checkpoint, one release, one sample grid
    log = records(tmp_path)
    assert [r["step"] for r in log if not r.get("final")] == [1, 2]
    assert [r["step"] for r in log if r.get("final")] == [2]
    assert sorted(p.name for p in tmp_path.iterdir() if "checkpoint" in p.name) == ["checkpoint-2"]
    assert sorted(p.name for p in tmp_path.iterdir() if "final" in p.name) == ["final"]
    assert (tmp_path / "final" / "README.md").exists() and "2 processes" in (tmp_path / "final" / "README.md").read_text()
    assert len(list((tmp_path / "checkpoint-2").glob("random_states_*.pkl"))) == 2  # each process's own RNG
    # and two shares of the data: per step, each process trained on its own samples, none on the other's
    first, second = batches(tmp_path, 0), batches(tmp_path, 1)
    assert list(first) == list(second) == [1, 2]
    for step in (1, 2):
        assert len(first[step]) == len(second[step]) > 1
        assert not set(first[step]) & set(second[step]), f"step {step}: both processes trained on the same samples"
        assert len(set(first[step])) > 1  # not one image repeated (a synthetic set of identical images would pass)


@pytest.mark.slow
def test_a_data_set_smaller_than_two_batches_still_trains_on_two_processes(every_recipe_on_two_processes):
    """The GANs' default batch (32) on the 48 training images of a synthetic set: one batch per process needs 64.
    Before, the loader dropped the short batch and split one batch between two processes: none each (and a
    ZeroDivisionError). Now the short one is completed from the start of the epoch, as on one process."""
    root, done = every_recipe_on_two_processes
    tmp_path = root / "small-set"
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = batches(tmp_path, 0), batches(tmp_path, 1)
    assert len(first[1]) == len(second[1]) == 32  # a full batch each
    assert records(tmp_path)[-1]["final"] and (tmp_path / "final" / "model.safetensors").exists()


# The denoiser on 16 fixed images (no random crops, turns or flips) and --max_sigma 0 (no noise): the one honest
# setting for comparing process counts. In the real recipe each process draws its own crops and noise (seeded
# seed + process index), so 2 processes and 1 see different random draws and their losses differ as two draws do.
FIXED = ["tests.test_multiprocess", "--data", "synthetic:fields", "--eval_data", "synthetic:fields", "--eval_count",
         "2", "--crop", "32", "--base_channels", "8", "--levels", "2", "--max_sigma", "0", "--warmup_steps", "0",
         "--learning_rate", "1e-2", "--max_steps", "3", "--log_every", "1", "--checkpoint_every", "100",
         "--sample_every", "100", "--log_batches"]


@pytest.mark.slow
def test_two_processes_of_batch_two_train_as_one_process_of_batch_four(tmp_path):
    """Same data, same seed, no randomness in the step (see FIXED): the logged loss (the mean over processes) of
    steps 1-3 on 2 processes x batch 2 equals that of 1 process x batch 4, within float32 rounding. Step 1
    checks the split (the two shares make up the one batch) and the averaged log; steps 2 and 3 the averaged
    gradients (a process stepping on its own gradient alone would drift off by far more than the tolerance).
    Caveat: Adam's first steps hardly depend on the gradient's scale, so a sum in place of the mean would not show."""
    one = launch([*FIXED, "--batch_size", "4"], tmp_path / "one", processes=1)
    two = launch([*FIXED, "--batch_size", "2"], tmp_path / "two", processes=2)
    assert one.returncode == 0, one.stderr[-3000:]
    assert two.returncode == 0, two.stderr[-3000:]
    single = [r["loss"] for r in records(tmp_path / "one") if not r.get("final")]
    double = [r["loss"] for r in records(tmp_path / "two") if not r.get("final")]
    assert len(single) == len(double) == 3
    assert double == pytest.approx(single, rel=1e-5)  # measured: within 1e-7
    assert abs(single[1] - single[0]) > 1000 * 1e-5 * single[0]  # the steps moved the loss: a real comparison
    whole = batches(tmp_path / "one", 0)
    first, second = batches(tmp_path / "two", 0), batches(tmp_path / "two", 1)
    for step in (1, 2, 3):
        assert not set(first[step]) & set(second[step])
        assert sorted(first[step] + second[step]) == sorted(whole[step])


def worker_pids(launcher: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the workers through /proc")
def test_sigterm_to_one_process_stops_both_at_the_same_step_and_they_resume(tmp_path):
    """A signal reaches each process at its own moment; here it reaches only one. Both must stop after the same
    step (else one waits in the checkpoint's barrier and the other in the gradients' all-reduce, for ever)."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
               "train.toy", "--output_dir", str(out), "--max_steps", "100000", "--batch_size", "8", "--log_every",
               "1", "--checkpoint_every", "100000", "--sample_every", "100000"]
    launcher = subprocess.Popen(command, cwd=REPO_ROOT, env=ENVIRONMENT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ((out / "metrics.jsonl").exists() and len(records(out)) >= 5):
            assert time.monotonic() < deadline and launcher.poll() is None, launcher.stdout.read()
            time.sleep(0.2)
        workers = worker_pids(launcher)
        assert len(workers) == 2
        os.kill(workers[1], signal.SIGTERM)
        output, _ = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:  # a hang: end the workers first (the launcher's kill would orphan them)
            for pid in worker_pids(launcher):
                os.kill(pid, signal.SIGKILL)
            launcher.kill()
            launcher.communicate()
    assert launcher.returncode == 0, output[-3000:]
    assert "stopped by signal" in output and not (out / "final").exists()
    checkpoints = [p.name for p in out.glob("checkpoint-*")]
    assert len(checkpoints) == 1
    stopped_at = int(checkpoints[0].split("-")[1])
    assert [r["step"] for r in records(out)] == list(range(1, stopped_at + 1))
    # and the two processes resume from it together
    done = launch(["train.toy", "--max_steps", str(stopped_at + 2), "--batch_size", "8", "--log_every", "1",
                   "--resume", "latest"], out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [r["step"] for r in records(out) if not r.get("final")][-3:] == [stopped_at, stopped_at + 1, stopped_at + 2]
    assert (out / "final" / "model.safetensors").exists()


if __name__ == "__main__":  # what FIXED launches: the denoiser recipe on fixed images, through the real loop
    from core.common.synthetic import synthetic_images
    from train.denoising import DenoiserRecipe, parse_args
    from train.loop import train

    class FixedImagesDenoiser(DenoiserRecipe):
        def build_dataset(self):  # (16, 3, crop, crop): item i is always image i
            return synthetic_images("fields", count=16, size=self.args.crop)

    train(FixedImagesDenoiser(parse_args()))
