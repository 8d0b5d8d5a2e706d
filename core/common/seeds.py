"""Seeds: the numbers in a Space's link that make a view reproducible, parsed and bounded in one place.

Every Space takes seeds from 0 to MAX_SEED: numpy's and torch's generators both accept that range, so a
seed means the same draw in the gan and diffusion Spaces (and in a trainer's sample grid).
"""

from __future__ import annotations

import torch

MAX_SEED = 2**32 - 1


def parse_seeds(text: str, limit: int = 64) -> list[int]:
    """'0-7, 42' -> [0, 1, ..., 7, 42]: the seed lists a Space puts in its URL."""
    seeds = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not (first.isdigit() and (not dash or last.isdigit())) or len(first) > 10 or len(last) > 10:
            raise ValueError(f"'{part[:24]}' is not a seed or a range like 3-10 (seeds are whole numbers "
                             f"from 0 to {MAX_SEED})")
        low, high = int(first), int(last) if dash else int(first)
        if high > MAX_SEED:
            raise ValueError(f"seeds go up to {MAX_SEED}, got {high}")
        if high < low:
            raise ValueError(f"range '{part}' runs backwards")
        seeds.extend(range(low, min(high, low + limit) + 1))
        if len(seeds) > limit:
            raise ValueError(f"at most {limit} seeds at once, got more")
    if not seeds:
        raise ValueError("no seeds given: type one, a list (1, 5, 9) or a range (0-15)")
    return seeds


def seed_noise(seeds: list[int], shape: tuple[int, ...] | int, offset: int = 0) -> torch.Tensor:
    """Standard normal noise of `shape` for each seed, (len(seeds), *shape): the same seed, the same draw."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(offset + int(s))) for s in seeds])
