"""The realism score: chance level for one distribution split in two, near 100% for an obvious fake."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.data import lfw_subset

from core.adversarial.realism import realism_accuracy


@pytest.fixture(scope="module")
def faces():
    return torch.from_numpy(lfw_subset()[:100]).float()[:, None]  # 100 real faces, 25x25, shipped by scikit-image


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_same_distribution_scores_near_chance(faces):
    scores = [realism_accuracy(faces[:50], faces[50:], steps=150, seed=seed).accuracy for seed in range(3)]
    assert abs(np.mean(scores) - 0.5) < 0.12


@pytest.mark.slow  # over 6 s in the default lane (CI runs it)
def test_obvious_fakes_are_caught(faces):
    blurred = F.avg_pool2d(faces, 3, 1, 1)  # a "generator" whose tell is blur, as L1-only models have
    score = realism_accuracy(faces, blurred, steps=150)
    assert score.accuracy > 0.9 and score.test_count == 100
    assert "held-out" in score.describe()


def test_inputs_are_checked(faces):
    with pytest.raises(ValueError, match="must match"):
        realism_accuracy(faces, torch.rand(10, 3, 25, 25))
    with pytest.raises(ValueError, match="at least 8"):
        realism_accuracy(faces[:4], faces[4:8])
