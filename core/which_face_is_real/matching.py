"""Matched pairs for the hard level: each fake beside the real photo most like it in simple appearance.

A round of two unrelated faces can be won without looking at a face: "the photo with more background clutter
is real" wins 59% of the pairings our old pools made (real photos have busier, sharper backgrounds; the
StyleGAN faces are smoother and less colourful). Pairing each fake with the real photo nearest to it in mean
colour, brightness, contrast, background clutter, face detail and colourfulness takes such predictors away; the
face itself is left to judge. FFHQ's alignment (and StyleGAN's, trained on it) fixes where the eyes and mouth
sit, so face size is the same on both sides already.

`human_free_win_rates` measures what remains: each statistic alone, and the check that matching cannot game, a
logistic regression on all of them trained on other faces than the pairs it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.which_face_is_real.evidence import region_masks

EDGE_THRESHOLD = 0.08  # luminance gradient (per pixel, of [0, 1]) that counts as an edge
LUMA = np.array([0.299, 0.587, 0.114])
STATISTICS = ("red", "green", "blue", "brightness", "contrast", "background edges", "background detail", "face detail",
              "colourfulness")


def appearance(face: np.ndarray) -> dict[str, float]:
    """Simple statistics of an (S, S, 3) uint8 face. The background is everything outside the face's oval."""
    rgb = face.astype(np.float64) / 255
    luma = rgb @ LUMA
    gy, gx = np.gradient(luma)
    laplacian = np.zeros_like(luma)  # high frequencies: |4x - the four neighbours|
    laplacian[1:-1, 1:-1] = np.abs(4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2]
                                   - luma[1:-1, 2:])
    background = region_masks(face.shape[0])["background"]
    red_green, yellow_blue = rgb[..., 0] - rgb[..., 1], (rgb[..., 0] + rgb[..., 1]) / 2 - rgb[..., 2]
    return {
        "red": rgb[..., 0].mean(), "green": rgb[..., 1].mean(), "blue": rgb[..., 2].mean(),
        "brightness": luma.mean(),
        "background edges": float((np.hypot(gx, gy)[background] > EDGE_THRESHOLD).mean()),  # edge density
        "background detail": laplacian[background].mean(),
        "contrast": luma.std(),
        "face detail": laplacian[~background].mean(),
        # Hasler & Suesstrunk (2003)
        "colourfulness": np.hypot(red_green.std(), yellow_blue.std()) + 0.3 * np.hypot(red_green.mean(),
                                                                                        yellow_blue.mean()),
    }


def statistics_table(faces: list[np.ndarray], names=STATISTICS) -> np.ndarray:
    """(N, len(names)) float: `appearance` of each face."""
    return np.array([[stats[name] for name in names] for stats in map(appearance, faces)])


@dataclass(frozen=True)
class Pairs:
    fake: np.ndarray  # indices into the fakes
    real: np.ndarray  # indices into the real photos, one per fake, never twice
    distance: np.ndarray  # in standard deviations of the matched statistics


def match_pairs(real: np.ndarray, fake: np.ndarray, count: int) -> Pairs:
    """The `count` closest one-to-one pairs between fakes and real photos, on tables from `statistics_table`
    (each column standardised over both sets): an optimal assignment of every fake (or every real, whichever set
    is smaller), then its closest pairs."""
    from scipy.optimize import linear_sum_assignment

    if count > min(len(real), len(fake)):
        raise ValueError(f"cannot make {count} pairs from {len(real)} real and {len(fake)} fake faces")
    both = np.vstack([real, fake])
    mean, spread = both.mean(axis=0), both.std(axis=0) + 1e-12
    real, fake = (real - mean) / spread, (fake - mean) / spread
    cost = ((fake[:, None, :] - real[None, :, :]) ** 2).sum(-1)  # (fakes, reals)
    fakes, reals = linear_sum_assignment(cost)
    closest = np.argsort(cost[fakes, reals], kind="stable")[:count]
    return Pairs(fakes[closest], reals[closest], np.sqrt(cost[fakes[closest], reals[closest]]))


def win_rate(real_values: np.ndarray, fake_values: np.ndarray) -> float:
    """How often 'the face with the larger value is real' is right over pairs (real i, fake i); ties half."""
    return float(np.mean((real_values > fake_values) + 0.5 * (real_values == fake_values)))


def learned_predictor(real: np.ndarray, fake: np.ndarray):
    """A logistic regression on all statistics, real vs fake: a score, higher = more real."""
    from sklearn.linear_model import LogisticRegression

    table = np.vstack([real, fake])
    mean, spread = table.mean(axis=0), table.std(axis=0) + 1e-12
    model = LogisticRegression(max_iter=1000).fit((table - mean) / spread, np.r_[np.ones(len(real)), np.zeros(len(fake))])
    return lambda rows: model.decision_function((rows - mean) / spread)


def human_free_win_rates(real: np.ndarray, fake: np.ndarray, score=None) -> dict[str, float]:
    """Win rates over pairs (real i, fake i) of 'the larger statistic is real', for each of STATISTICS (tables
    with all of them, in order), and of `score` (a learned predictor trained on other faces) if given."""
    rates = {name: win_rate(real[:, k], fake[:, k]) for k, name in enumerate(STATISTICS)}
    if score is not None:
        rates["learned (all statistics)"] = win_rate(score(real), score(fake))
    return rates
