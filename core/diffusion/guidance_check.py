"""Does guidance work? A classifier trained on the same pictures says which category each sample shows.

The check the text-to-image teaser is judged by: prompt each category by its name, sample at guidance 0 (the
unconditional model) and at higher guidance, and count how often a separately trained classifier finds the
prompted category. Guidance that works raises that rate well above the unconditional one, which sits near how
common the category is in the training set.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


class CategoryClassifier(nn.Module):
    """A small convolutional classifier for (B, 3, S, S) images in [0, 1]."""

    def __init__(self, classes: int, width: int = 32):
        super().__init__()
        layers, channels = [], 3
        for out in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.Conv2d(out, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images * 2 - 1).mean((2, 3)))


@dataclass
class CategoryJudge:
    classifier: CategoryClassifier
    classes: list[str]
    val_accuracy: float  # on held-out real pictures: how far its verdicts can be trusted

    @torch.no_grad()
    def rate(self, images: torch.Tensor, category: str) -> float:
        """The fraction of `images` (B, 3, S, S) in [0, 1] classified as `category`."""
        self.classifier.eval()
        predicted = self.classifier(images.float()).argmax(1)
        return float((predicted == self.classes.index(category)).float().mean())


@torch.enable_grad()  # a trainer's evaluate() runs under no_grad
def train_judge(train_images: torch.Tensor, train_categories: list[str], val_images: torch.Tensor,
                val_categories: list[str], steps: int = 600, batch_size: int = 64, seed: int = 0) -> CategoryJudge:
    """Train a classifier of categories (steps of AdamW, random crops and colour-preserving flips are left out:
    an emoji's direction and colour are part of what it is)."""
    classes = sorted(set(train_categories))
    labels = torch.tensor([classes.index(c) for c in train_categories])
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    classifier = CategoryClassifier(len(classes))
    optimizer = torch.optim.AdamW(classifier.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    classifier.train()
    for _ in range(steps):
        index = torch.randint(0, len(labels), (batch_size,), generator=generator)
        loss = F.cross_entropy(classifier(train_images[index]), labels[index], label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    classifier.eval()
    known = [i for i, c in enumerate(val_categories) if c in classes]
    with torch.no_grad():
        predicted = classifier(val_images[known]).argmax(1)
    truth = torch.tensor([classes.index(val_categories[i]) for i in known])
    return CategoryJudge(classifier, classes, float((predicted == truth).float().mean()) if known else float("nan"))


def category_prompt(category: str) -> str:
    """What a student would type for a category: 'Animals & Nature' -> 'animals nature'."""
    return " ".join(w for w in category.lower().replace("&", " ").split())
