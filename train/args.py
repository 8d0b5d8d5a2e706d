"""Command-line flags shared by every recipe; a recipe adds its own on the same parser."""

from __future__ import annotations

import argparse
import sys


def snake_case_flag(token: str) -> str:
    """`--max-steps=3` -> `--max_steps=3`; values and short options are left alone."""
    if not token.startswith("--"):
        return token
    name, sep, value = token.partition("=")
    return "--" + name[2:].replace("-", "_") + sep + value


class FlagParser(argparse.ArgumentParser):
    """An ArgumentParser whose `--snake_case` flags also answer to `--kebab-case` (as Accelerate's do)."""

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        return super().parse_known_args([snake_case_flag(a) for a in args], namespace)


def common_parser(description: str) -> FlagParser:
    parser = FlagParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run = parser.add_argument_group("run")
    run.add_argument("--output_dir", default="outputs/run", help="checkpoints, logs, samples and final weights")
    run.add_argument("--max_steps", type=int, default=1000, help="optimizer steps to train for")
    run.add_argument("--max_minutes", type=float, default=0.0,
                     help="also stop (and release) after this much wall time, resumes included (0: no limit)")
    run.add_argument("--batch_size", type=int, default=32, help="per-device batch size")
    run.add_argument("--learning_rate", type=float, default=2e-4, help="peak learning rate")
    run.add_argument("--lr_schedule", default="constant", choices=["constant", "cosine"],
                     help="cosine decays to 2%% of the peak by --max_steps")
    run.add_argument("--warmup_steps", type=int, default=0, help="linear learning-rate warm-up")
    run.add_argument("--gradient_accumulation_steps", type=int, default=1, help="batches per optimizer step")
    run.add_argument("--max_grad_norm", type=float, default=1.0, help="clip gradients to this norm (0: off)")
    run.add_argument(
        "--mixed_precision", default="no", choices=["no", "fp16", "bf16"], help="autocast precision (GPU: bf16)"
    )
    run.add_argument("--seed", type=int, default=0, help="seeds weights, data order and noise")
    run.add_argument("--num_workers", type=int, default=0, help="data loader worker processes")
    run.add_argument("--ema_decay", type=float, default=0.0, help="EMA of weights for release (0: off; e.g. 0.999)")
    saving = parser.add_argument_group("saving")
    saving.add_argument("--checkpoint_every", type=int, default=500, help="save resumable state every N steps")
    saving.add_argument("--checkpoints_total_limit", type=int, default=2, help="keep only the newest N checkpoints")
    saving.add_argument("--resume", default=None, help="'latest' or a checkpoint folder to continue from")
    saving.add_argument("--init_from", action="append", default=[], metavar="MODEL=FOLDER",
                        help="start a fresh run from released weights, e.g. generator=core/bundled_weights/dcgan-faces "
                             "(repeatable; a checkpoint found by --resume takes precedence)")
    saving.add_argument("--sample_every", type=int, default=250, help="save a sample grid PNG every N steps")
    saving.add_argument("--log_every", type=int, default=10, help="write metrics every N steps")
    saving.add_argument("--report_to", default="jsonl", choices=["jsonl", "tensorboard"], help="extra logger")
    saving.add_argument("--push_to_hub", default=None, metavar="REPO", help="upload the final weights + card here")
    saving.add_argument("--log_batches", action="store_true",
                        help="debug: each process writes a hash of every sample it trains on to batches-<process>.jsonl")
    saving.add_argument("--dry_run", action="store_true",
                        help="2 steps, checkpoint and release: checks the plumbing (pass small size flags and "
                             "--data synthetic:<kind> for a run of seconds)")
    return parser


def add_photo_data_args(group, crop: int) -> None:
    """Training photos, held-out photos and the crop size, as the natural-image recipes take them."""
    group.add_argument("--data", default="../shared/data/photos/bsds500-train",
                       help="training photos: a folder, hub:<dataset id> or synthetic:<kind> (core.common.data)")
    group.add_argument("--eval_data", default="../shared/data/photos/bsd100", help="held-out photos (same grammar)")
    group.add_argument("--eval_count", type=int, default=100, help="how many held-out photos to evaluate on")
    group.add_argument("--crop", type=int, default=crop, help="training crop size (a multiple of 8)")
