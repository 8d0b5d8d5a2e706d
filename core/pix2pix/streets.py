"""Labels -> street (pix2pix's "segmentation to street image"): CamVid label maps as inputs, its photos as targets.

The input is the label map drawn in the CamVid colours (SegNet's palette, `core.image_prediction.camvid`), void
black, as a student paints it. Street scenes are 4:3 (480x360): the pairs are 128x96, a multiple of 32 both ways,
for a U-Net of 5 levels. Jitter works on class ids with nearest neighbour, never on colours: a blended boundary
colour is no class, and the painter never makes one.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from core.image_prediction.camvid import CLASS_COLOURS, VOID, colourize, decode_folder
from core.image_prediction.model import label_map, predict
from core.pix2pix.tasks import nearest_palette_colour

WIDTH, HEIGHT = 128, 96  # the models' frame
JITTER = 1.125  # the paper's: resize to 1.125x, crop back at random
SNAP_DISTANCE = 0.2  # a painted pixel this close (RGB in [0, 1]) to a class colour is that class; others are void


def labels_to_input(labels: torch.Tensor | np.ndarray) -> torch.Tensor:
    """(H, W) class ids -> (3, H, W) in [0, 1]: the label map in CamVid colours, what G sees."""
    return torch.from_numpy(colourize(np.asarray(labels))).permute(2, 0, 1).float() / 255


def paint_to_labels(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) in [0, 1] painted with the class colours -> (H, W) class ids; anything far from every colour
    (the canvas's white, an antialiased stroke edge) is void."""
    nearest, distance = nearest_palette_colour(rgb, np.array(CLASS_COLOURS, np.float32) / 255)
    return np.where(distance < SNAP_DISTANCE, nearest, VOID).astype(np.uint8)


def centre_crop(array: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The largest centred part of an (H, W, ...) array with the frame's aspect (4:3)."""
    rows, cols = array.shape[:2]
    if cols * height > rows * width:  # too wide: crop the sides
        keep = max(1, round(rows * width / height))
        return array[:, (cols - keep) // 2 : (cols - keep) // 2 + keep]
    keep = max(1, round(cols * height / width))
    return array[(rows - keep) // 2 : (rows - keep) // 2 + keep]


def frame_labels(labels: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """(H, W) class ids of any size -> the frame: centre crop, nearest resize (a class id is not a quantity)."""
    crop = np.ascontiguousarray(centre_crop(labels, width, height))
    return np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.NEAREST))


class StreetPairs(torch.utils.data.Dataset):
    """(label map in colours, photo), both (3, HEIGHT, WIDTH) in [-1, 1], from a CamVid-layout folder.

    Decoded once at 1.125 x the frame (`decode_folder`'s cache); `jitter`: the same random crop of both and a
    random mirror, as pix2pix does. Without jitter: the whole pair at the frame's size.
    """

    def __init__(self, folder: str, jitter: bool = True, cache_dir: str | None = "outputs/cache"):
        self.jitter = jitter
        width, height = (round(WIDTH * JITTER), round(HEIGHT * JITTER)) if jitter else (WIDTH, HEIGHT)
        photos, labels = decode_folder(folder, width, height, cache_dir=cache_dir)
        self.photos = torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous()  # (N, 3, h, w) uint8
        self.labels = torch.from_numpy(labels)  # (N, h, w) uint8

    def __len__(self):
        return len(self.photos)

    def __getitem__(self, index):
        photo, labels = self.photos[index].float() / 255, self.labels[index]
        if self.jitter:
            # one generator per item, seeded from the global RNG: a seeded (and resumed) run repeats its jitter
            generator = torch.Generator().manual_seed(int(torch.randint(2**62, ())))
            top = int(torch.randint(0, photo.shape[1] - HEIGHT + 1, (), generator=generator))
            left = int(torch.randint(0, photo.shape[2] - WIDTH + 1, (), generator=generator))
            photo = photo[:, top : top + HEIGHT, left : left + WIDTH]
            labels = labels[top : top + HEIGHT, left : left + WIDTH]
            if torch.rand((), generator=generator) < 0.5:
                photo, labels = photo.flip(-1), labels.flip(-1)
        return labels_to_input(labels) * 2 - 1, photo * 2 - 1

    def class_ids(self, index: int) -> np.ndarray:
        """The (h, w) class ids of pair `index` (unjittered data: the frame's)."""
        return self.labels[index].numpy()


@torch.no_grad()
def read_back(segmenter, photo: torch.Tensor) -> np.ndarray:
    """The FCN-score's reading (Isola et al. 2017, section 4.2): the class ids a segmenter trained on real street
    photos finds in `photo` (3, h, w) in [0, 1], at the photo's own size. A generated street that looks real to
    it gives back the labels it was generated from."""
    return label_map(predict(segmenter, photo)).numpy().astype(np.uint8)

