"""The shared training loop, on the toy recipe: learning, exact resume, SIGTERM, release and card."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from core.hub import load_pretrained, override_variable
from train import toy

REPO_ROOT = Path(__file__).resolve().parents[1]
FAST = ["--batch_size", "16", "--log_every", "1", "--sample_every", "1000", "--checkpoint_every", "7"]


def metrics(output_dir: Path) -> list[dict]:
    """Per-step records (the final evaluation record of each completed run is left out)."""
    records = [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if not r.get("final")]


def test_loss_goes_down_and_release_is_loadable(tmp_path, monkeypatch):
    out = tmp_path / "run"
    summary = toy.main(["--output_dir", str(out), "--max_steps", "80", "--sample_every", "40",
                        "--learning_rate", "3e-3", "--ema_decay", "0.9", *FAST[:4]])
    losses = [m["loss"] for m in metrics(out)]
    assert len(losses) == 80
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10
    # Sample grids: 3 rows x 4 columns of 16x16 tiles, padded.
    grids = sorted((out / "samples").glob("*.png"))
    assert [g.name for g in grids] == ["step-0000040.png", "step-0000080.png"]
    assert Image.open(grids[-1]).size == (4 * 18 + 2, 3 * 18 + 2)
    # Released folder: Hub layout, EMA weights, a card with the numbers, loadable by the Space loader.
    final = Path(summary["final_dir"])
    assert {p.name for p in final.iterdir()} == {"config.json", "model.safetensors", "README.md"}
    card = (final / "README.md").read_text()
    assert "80 optimizer steps" in card and "| loss |" in card and "train.toy" in card and "ema_decay" in card
    monkeypatch.setenv(override_variable("toy-denoiser"), str(final))
    model, source = load_pretrained(toy.ToyDenoiser, "manifold-lab/toy-denoiser")
    assert source.kind == "local" and model.body[0].out_channels == 16
    # The last checkpoint holds the same EMA weights: a mid-run checkpoint can be measured like a release.
    from train.checkpoints import model_from_checkpoint

    checkpoint = max(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert checkpoint.name == "checkpoint-80"
    again = model_from_checkpoint(toy.ToyDenoiser, checkpoint, final)
    for a, b in zip(again.state_dict().values(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_resume_continues_with_identical_losses(tmp_path):
    toy.main(["--output_dir", str(tmp_path / "straight"), "--max_steps", "30", *FAST])
    toy.main(["--output_dir", str(tmp_path / "split"), "--max_steps", "14", *FAST])
    assert (tmp_path / "split" / "checkpoint-14").is_dir()
    toy.main(["--output_dir", str(tmp_path / "split"), "--max_steps", "30", "--resume", "latest", *FAST])
    straight, split = metrics(tmp_path / "straight"), metrics(tmp_path / "split")
    assert [m["step"] for m in split] == list(range(1, 31))
    assert [m["loss"] for m in split] == [m["loss"] for m in straight]  # bit-identical, across an epoch boundary


def test_resume_drops_log_records_past_the_checkpoint(tmp_path):
    toy.main(["--output_dir", str(tmp_path), "--max_steps", "10", *FAST])  # checkpoints at 7 and 10
    import shutil

    shutil.rmtree(tmp_path / "checkpoint-10")  # as if the run died after logging steps 8-10
    toy.main(["--output_dir", str(tmp_path), "--max_steps", "12", "--resume", "latest", *FAST])
    assert [m["step"] for m in metrics(tmp_path)] == list(range(1, 13))


def test_checkpoints_are_pruned_to_the_limit(tmp_path):
    toy.main(["--output_dir", str(tmp_path), "--max_steps", "30", "--checkpoints_total_limit", "2", *FAST])
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-28", "checkpoint-30"]
    assert not list(tmp_path.glob(".checkpoint-*"))  # no half-written temp folders left behind


def test_gradient_accumulation_counts_optimizer_steps(tmp_path):
    toy.main(["--output_dir", str(tmp_path), "--max_steps", "6", "--gradient_accumulation_steps", "3", *FAST])
    assert [m["step"] for m in metrics(tmp_path)] == [1, 2, 3, 4, 5, 6]


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_dry_run_with_bf16_autocast_on_cpu(tmp_path):
    # A fresh process: Accelerate fixes the precision once per process, as `accelerate launch` does.
    done = subprocess.run([sys.executable, "-m", "train.toy", "--output_dir", str(tmp_path), "--dry_run",
                           "--mixed_precision", "bf16"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [m["step"] for m in metrics(tmp_path)] == [1, 2]
    assert (tmp_path / "final" / "model.safetensors").exists()
    assert (tmp_path / "samples" / "step-0000002.png").exists()


def test_sigterm_checkpoints_then_exits_and_the_run_resumes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "train.toy", "--output_dir", str(out), "--max_steps", "100000",
               "--batch_size", "8", "--log_every", "1", "--checkpoint_every", "100000", "--sample_every", "100000"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while not ((out / "metrics.jsonl").exists() and len(metrics(out)) >= 20):
        assert time.monotonic() < deadline and process.poll() is None, process.stdout.read()
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "stopped by signal" in output
    checkpoints = list(out.glob("checkpoint-*"))
    assert len(checkpoints) == 1
    stopped_at = int(checkpoints[0].name.split("-")[1])
    assert stopped_at >= 20 and not (out / "final").exists()
    summary = toy.main(["--output_dir", str(out), "--max_steps", str(stopped_at + 3), "--resume", "latest",
                        "--batch_size", "8", "--log_every", "1"])
    assert summary["step"] == stopped_at + 3
    assert [m["step"] for m in metrics(out)][-3:] == [stopped_at + 1, stopped_at + 2, stopped_at + 3]


def test_resume_from_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        toy.main(["--output_dir", str(tmp_path), "--max_steps", "2", "--resume", str(tmp_path / "nope")])


def test_init_from_starts_a_fresh_run_where_a_release_left_off_and_refuses_what_does_not_fit(tmp_path):
    first = toy.main(["--output_dir", str(tmp_path / "first"), "--max_steps", "60", "--learning_rate", "3e-3", *FAST])
    trained = metrics(tmp_path / "first")[-1]["loss"]
    fresh = ["--max_steps", "1", "--learning_rate", "1e-9", *FAST]
    toy.main(["--output_dir", str(tmp_path / "cold"), *fresh])
    toy.main(["--output_dir", str(tmp_path / "warm"), "--init_from", f"model={first['final_dir']}", *fresh])
    cold, warm = metrics(tmp_path / "cold")[0]["loss"], metrics(tmp_path / "warm")[0]["loss"]
    assert warm < 0.5 * cold and warm == pytest.approx(trained, rel=0.5)
    card = (tmp_path / "warm" / "final" / "README.md").read_text()
    assert "Started from released weights" in card and str(first["final_dir"]) in card
    with pytest.raises(ValueError, match="MODEL=FOLDER"):
        toy.main(["--output_dir", str(tmp_path / "bad"), "--init_from", f"critic={first['final_dir']}", *fresh])
    with pytest.raises(FileNotFoundError, match="no released model"):
        toy.main(["--output_dir", str(tmp_path / "none"), "--init_from", f"model={tmp_path / 'nope'}", *fresh])
    with pytest.raises(ValueError, match="cannot grow"):  # 16 channels do not fit in 8
        toy.main(["--output_dir", str(tmp_path / "small"), "--channels", "8", "--init_from",
                  f"model={first['final_dir']}", *fresh])


def test_kebab_case_flags_work_too(tmp_path):
    args = toy.parse_args(["--output-dir", str(tmp_path), "--max-steps", "3", "--push-to-hub", "me/toy",
                           "--mixed-precision", "bf16"])
    assert (args.max_steps, args.push_to_hub, args.mixed_precision) == (3, "me/toy", "bf16")


def test_max_minutes_stops_on_time_then_releases(tmp_path, monkeypatch):
    import train.loop

    ticks = iter(range(10**6))  # an injected clock: 1 s per reading, whatever the machine's speed
    monkeypatch.setattr(train.loop, "clock", lambda: float(next(ticks)))
    summary = toy.main(["--output_dir", str(tmp_path), "--max_steps", "100000", "--max_minutes", "0.5", *FAST])
    steps = metrics(tmp_path)
    assert summary["step"] == 30 and steps[-1]["step"] == 30  # 30 readings of the clock after the start: 30 s
    assert steps[-1]["wall_time_s"] == 30 and not summary["stopped_early"]
    assert (tmp_path / f"checkpoint-{summary['step']}").is_dir() and (tmp_path / "final" / "model.safetensors").is_file()


def test_bundle_copies_a_release_in_half_precision_that_loads_as_float32(tmp_path, monkeypatch):
    import torch

    from train import bundle

    toy.main(["--output_dir", str(tmp_path / "run"), "--max_steps", "3", *FAST])
    monkeypatch.setattr(bundle, "BUNDLED", tmp_path / "bundled")
    target = bundle.bundle(tmp_path / "run" / "final", "toy-denoiser", half=True)
    full = (tmp_path / "run" / "final" / "model.safetensors").stat().st_size
    assert (target / "model.safetensors").stat().st_size < 0.6 * full and "float16" in (target / "README.md").read_text()
    original = toy.ToyDenoiser.from_pretrained(tmp_path / "run" / "final")
    copy = toy.ToyDenoiser.from_pretrained(target)
    for a, b in zip(original.parameters(), copy.parameters(), strict=True):
        assert b.dtype == torch.float32 and torch.allclose(a, b, atol=1e-3, rtol=1e-3)
