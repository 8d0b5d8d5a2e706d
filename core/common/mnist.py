"""MNIST: the official idx files for trainers, and a small bundled sample of test digits for the apps.

    python -m core.common.mnist ../shared/data/mnist core/common/samples/mnist_test_500.npz   # rebuild the sample
"""

from __future__ import annotations

import gzip
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

SAMPLES = Path(__file__).resolve().parent / "samples"
EXAMPLES_FILE = SAMPLES / "mnist_test_500.npz"
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def read_idx(path: str | Path) -> np.ndarray:
    """An idx file (optionally gzipped) as a numpy array of its declared shape."""
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path) as file:
            raw = file.read()
    else:
        raw = path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte idx file")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape}, file holds {data.size} values")
    return data.reshape(shape)


def load_mnist(root: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) from a folder of the four official files."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images_file, labels_file = FILES[split]
    return read_idx(Path(root) / images_file), read_idx(Path(root) / labels_file)


class MnistDigits(Dataset):
    """MNIST as (1, 28, 28) float tensors in [0, 1] with integer labels."""

    def __init__(self, root: str | Path, split: str = "train"):
        images, labels = load_mnist(root, split)
        self.images = torch.from_numpy(images.copy()).float().div(255).unsqueeze(1)
        self.labels = torch.from_numpy(labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]


@lru_cache(maxsize=1)
def example_digits() -> tuple[np.ndarray, np.ndarray]:
    """500 MNIST test digits (50 per class) bundled for the apps: (images float (500, 28, 28), labels)."""
    with np.load(EXAMPLES_FILE) as data:
        return data["images"].astype(np.float32) / 255.0, data["labels"].astype(np.int64)


def write_examples(root: str | Path, target: str | Path, per_class: int = 50, seed: int = 0) -> None:
    images, labels = load_mnist(root, "test")
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(np.flatnonzero(labels == digit), per_class, replace=False)
                             for digit in range(10)])
    np.savez_compressed(target, images=images[chosen], labels=labels[chosen])


if __name__ == "__main__":
    write_examples(sys.argv[1], sys.argv[2])
