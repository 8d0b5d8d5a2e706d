"""Image data sources for trainers, one `--data` grammar for every recipe; a stable split.

    ../shared/data/faces/ffhq256    a folder of images (recursive)
    outputs/data/faces64.npz        an aligned face set (train.face_data): its own train/val split
    mnist:../shared/data/mnist      MNIST's idx files (split "val" is MNIST's test set)
    hub:user/dataset                a Hub dataset stored as image files
    synthetic:discs                 a tiny seeded set made on the spot (core.common.synthetic), for tests


All return float tensors in [0, 1], (C, H, W). Unreadable files are skipped and counted, never fatal:
real folders hold the odd truncated JPEG.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from core.common.images import ImageInputError, load_image, to_tensor

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def list_images(root: str | Path) -> list[Path]:
    """Every image file under `root`, recursively, in a stable (sorted) order."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"No such folder: {root}")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def in_validation_split(key: str, val_fraction: float, seed: int = 0) -> bool:
    """Deterministic split by hashing a file's name: adding files never moves existing ones."""
    digest = hashlib.sha1(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < val_fraction


def split_files(files: list[Path], root: Path, split: str, val_fraction: float, seed: int) -> list[Path]:
    if split == "all" or val_fraction <= 0:
        return files
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
    want_val = split == "val"
    return [f for f in files if in_validation_split(f.relative_to(root).as_posix(), val_fraction, seed) == want_val]


def _readable(path: Path, mode: str) -> Image.Image | None:
    try:
        return load_image(path, mode=mode, max_side=None)
    except ImageInputError:
        return None


class ImageFolder(Dataset):
    """Images under a folder (recursive; jpg/png/webp/bmp), each resized to `size` x `size`.

    Files are checked once at construction: unreadable ones are listed in `skipped`, not loaded.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        size: int | None = None,
        mode: str = "RGB",
        split: str = "all",
        val_fraction: float = 0.0,
        seed: int = 0,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ):
        self.root = Path(root)
        self.size, self.mode, self.transform = size, mode, transform
        candidates = split_files(list_images(self.root), self.root, split, val_fraction, seed)
        self.files: list[Path] = []
        self.skipped: list[Path] = []
        for path in candidates:
            (self.files if _readable(path, mode) is not None else self.skipped).append(path)
        if not self.files:
            raise ValueError(f"No readable images under {self.root} (split={split!r}, skipped {len(self.skipped)}).")

    def __len__(self) -> int:
        return len(self.files)

    def load(self, index: int) -> Image.Image:
        image = load_image(self.files[index], mode=self.mode, max_side=None)
        if self.size is not None:
            image = image.resize((self.size, self.size), Image.Resampling.BICUBIC)
        return image

    def __getitem__(self, index: int) -> torch.Tensor:
        tensor = to_tensor(self.load(index))
        return self.transform(tensor) if self.transform else tensor


def split_pair(image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """pix2pix layout: one image W x H holding A (left half) beside B (right half)."""
    if image.width < 2 or image.width % 2:
        raise ValueError(f"A|B pair must have an even width, got {image.width}x{image.height}")
    half = image.width // 2
    return image.crop((0, 0, half, image.height)), image.crop((half, 0, image.width, image.height))


class PairedFolder(Dataset):
    """Paired images in pix2pix layout (A|B side by side); yields (input, target) tensors.

    `direction="AtoB"` makes A the input; "BtoA" swaps them (facades: labels B -> photo A).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        size: int | None = None,
        direction: str = "AtoB",
        split: str = "all",
        val_fraction: float = 0.0,
        seed: int = 0,
    ):
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        self.images = image_source(str(root), split=split, val_fraction=val_fraction, seed=seed)  # or hub:<id>
        self.size, self.direction = size, direction

    @property
    def skipped(self) -> list[Path]:
        return self.images.skipped

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = split_pair(self.images.load(index))
        if self.size is not None:
            a, b = (im.resize((self.size, self.size), Image.Resampling.BICUBIC) for im in (a, b))
        a, b = to_tensor(a), to_tensor(b)
        return (a, b) if self.direction == "AtoB" else (b, a)


def hub_image_folder(dataset_id: str, *, revision: str | None = None, **folder_kwargs) -> ImageFolder:
    """An image dataset on the Hub stored as image files (the `imagefolder` layout), downloaded once.

    Needs the network (or the HF cache); raises a clear error offline.
    """
    from huggingface_hub import snapshot_download

    from core.hub import hub_is_reachable

    online = hub_is_reachable()
    try:
        local = snapshot_download(
            dataset_id,
            repo_type="dataset",
            revision=revision,
            allow_patterns=[f"*{suffix}" for suffix in IMAGE_SUFFIXES] + [f"*{s.upper()}" for s in IMAGE_SUFFIXES],
            local_files_only=not online,
        )
    except Exception as error:
        where = "the Hub" if online else "the local cache (the Hub is not reachable)"
        raise FileNotFoundError(f"Could not get dataset {dataset_id} from {where}: {error}") from error
    return ImageFolder(local, **folder_kwargs)


class TensorImages(Dataset):
    """Images held as one tensor (N, C, H, W) in [0, 1], with ImageFolder's interface (`load`, `files`)."""

    def __init__(self, images: torch.Tensor, *, size: int | None = None, mode: str = "RGB", split: str = "all",
                 val_fraction: float = 0.0, seed: int = 0, transform=None):
        keys = [f"{index:06d}" for index in range(len(images))]
        if split != "all" and val_fraction > 0:
            keep = [in_validation_split(k, val_fraction, seed) == (split == "val") for k in keys]
            images, keys = images[torch.tensor(keep)], [k for k, kept in zip(keys, keep, strict=True) if kept]
        if not len(images):
            raise ValueError(f"no images in split {split!r}")
        self.images, self.files, self.skipped = images, [Path(k) for k in keys], []
        self.size, self.mode, self.transform = size, mode, transform

    def __len__(self) -> int:
        return len(self.images)

    def load(self, index: int) -> Image.Image:
        array = (self.images[index].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        image = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array).convert(self.mode)
        return image.resize((self.size, self.size), Image.Resampling.BICUBIC) if self.size else image

    def __getitem__(self, index: int) -> torch.Tensor:
        tensor = to_tensor(self.load(index))
        return self.transform(tensor) if self.transform else tensor


def mnist_images(root: str, split: str, **kwargs) -> TensorImages:
    """MNIST digits as images: "train" is MNIST's training set, "val"/"test" its test set."""
    from core.common.mnist import load_mnist

    images, _ = load_mnist(root, "train" if split in ("train", "all") else "test")
    kwargs.pop("val_fraction", None)
    return TensorImages(torch.from_numpy(images.copy()).float().div(255)[:, None], mode=kwargs.pop("mode", "L"), **kwargs)


def face_set(path: str, split: str = "all", **kwargs) -> TensorImages:
    """An aligned face set written by `train.face_data`, with the split it was written with (not re-drawn)."""
    with np.load(path) as arrays:
        images, splits = arrays["images"], arrays["split"]
    if split != "all":
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
        images = images[splits == split]
    kwargs.pop("val_fraction", None)
    return TensorImages(torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255), **kwargs)


def image_source(spec: str, **folder_kwargs) -> ImageFolder | TensorImages:
    """A trainer's `--data` argument (the grammar in the module docstring) -> a data set of images."""
    if spec.endswith(".npz"):
        return face_set(spec, **folder_kwargs)
    if spec.startswith("hub:"):
        return hub_image_folder(spec.removeprefix("hub:"), **folder_kwargs)
    if spec.startswith("mnist:"):
        return mnist_images(spec.removeprefix("mnist:"), folder_kwargs.pop("split", "train"), **folder_kwargs)
    if spec.startswith("synthetic:"):
        from core.common.synthetic import synthetic_images

        images = synthetic_images(spec.removeprefix("synthetic:"), count=64, size=64)
        return TensorImages(images, **{"val_fraction": 0.25, **folder_kwargs})
    return ImageFolder(spec, **folder_kwargs)


class RandomCrops(Dataset):
    """Random square crops (with flips and 90-degree turns) of images held in memory as uint8.

    `length` sets how many crops make an "epoch"; the crops themselves are drawn fresh from torch's
    global RNG on every access, so a seeded (and resumed) run sees the same crops.
    """

    def __init__(self, images: ImageFolder, crop: int, length: int, augment: bool = True):
        self.arrays = []
        for index in range(len(images)):
            array = np.asarray(images.load(index))
            if min(array.shape[:2]) < crop:
                raise ValueError(f"{images.files[index].name} is smaller than the crop size {crop}")
            self.arrays.append(array if array.ndim == 3 else array[..., None])
        self.crop, self.length, self.augment = crop, length, augment

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> torch.Tensor:
        array = self.arrays[int(torch.randint(len(self.arrays), ()))]
        top = int(torch.randint(array.shape[0] - self.crop + 1, ()))
        left = int(torch.randint(array.shape[1] - self.crop + 1, ()))
        patch = torch.from_numpy(array[top : top + self.crop, left : left + self.crop].copy())
        patch = patch.permute(2, 0, 1).float().div(255)  # (C, crop, crop)
        if self.augment:
            patch = torch.rot90(patch, int(torch.randint(4, ())), dims=(1, 2))
            if torch.rand(()) < 0.5:
                patch = patch.flip(2)
        return patch


def load_photos(root: str | Path, count: int) -> list[np.ndarray]:
    """The first `count` readable photos of a `--data` source as float32 (H, W, 3) arrays in [0, 1]."""
    folder = image_source(str(root))
    return [np.asarray(folder.load(i), dtype=np.float32) / 255 for i in range(min(count, len(folder)))]
