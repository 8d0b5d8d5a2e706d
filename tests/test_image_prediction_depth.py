"""Face depth: the scale-invariant loss, the mesh rasteriser, the augmentation, the coarse + fine network."""

import numpy as np
import pytest
import torch

from core.image_prediction.depth import (
    CAMERA_DISTANCE,
    FaceDepthNet,
    depth_loss,
    log_depth_target,
    predict_depth,
    scale_invariant_error,
)
from core.image_prediction.depth_data import FaceDepthPairs, synthetic_faces
from train.face_depth_data import fill_holes, rasterise


def test_the_scale_invariant_error_forgives_one_global_scale_and_only_that():
    target = torch.randn(2, 1, 8, 8)
    mask = torch.ones(2, 1, 8, 8, dtype=torch.bool)
    assert scale_invariant_error(target, target, mask, weight=1.0) == pytest.approx(0, abs=1e-6)
    scaled = target + torch.tensor([0.7, -0.3]).view(2, 1, 1, 1)  # log depth + c = depth times e^c
    assert scale_invariant_error(scaled, target, mask, weight=1.0) == pytest.approx(0, abs=1e-6)
    # lambda 0.5 (the training loss) forgives half of a scale error; a shape error is not forgiven at all
    assert scale_invariant_error(scaled, target, mask, weight=0.5) == pytest.approx((0.7**2 + 0.3**2) / 4, rel=1e-5)
    bent = target + torch.linspace(-1, 1, 8).view(1, 1, 1, 8)
    assert scale_invariant_error(bent, target, mask, weight=1.0) > 0.3


def test_the_error_counts_only_pixels_inside_the_mask():
    target, predicted = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    predicted[..., 0, 0] = 100.0  # wrong only where there is no target
    mask = torch.ones(1, 1, 4, 4, dtype=torch.bool)
    mask[..., 0, 0] = False
    assert scale_invariant_error(predicted, target, mask) == 0
    mask[..., 0, 0] = True
    assert scale_invariant_error(predicted, target, mask) > 1


def test_rasterising_keeps_the_nearest_triangle_and_interpolates_inside_it():
    # two triangles over the same square, one at z = 0.1 and one nearer at z = -0.1, plus a sloped one on the left
    points = np.array([[0.5, 0.0, 0.1], [1.0, 0.0, 0.1], [1.0, 1.0, 0.1],
                       [0.5, 0.0, -0.1], [1.0, 0.0, -0.1], [1.0, 1.0, -0.1],
                       [0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 1.0, 0.4]])
    triangles = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    depth, mask = rasterise(points, triangles, 16)
    right = mask[:, 8:]
    assert right.any() and np.allclose(depth[:, 8:][right], -0.1)  # the z-buffer kept the nearer surface
    left = depth[:, :8][mask[:, :8]]
    assert left.min() >= 0 and left.max() <= 0.4 and np.ptp(left) > 0.2  # interpolated along the slope
    assert not mask[15, 0:8].all()  # outside every triangle: not in the mask


def test_holes_the_mesh_surrounds_are_filled_from_their_rim():
    depth = np.full((9, 9), 0.2, np.float32)
    mask = np.zeros((9, 9), bool)
    mask[1:8, 1:8] = True
    mask[3:6, 3:6] = False  # an eye's opening
    depth[~mask] = 0
    filled_depth, filled_mask = fill_holes(depth, mask)
    assert filled_mask[3:6, 3:6].all() and not filled_mask[0].any()
    assert np.allclose(filled_depth[filled_mask], 0.2)


def test_flips_and_shifts_move_depth_and_mask_with_the_photo():
    images, depth, mask = synthetic_faces(1, size=32)
    images[0, :, :16] = 255  # a bright left half
    depth[0, :, :16] = -0.05
    torch.manual_seed(0)
    pairs = FaceDepthPairs(images, depth, mask, shift=0)
    for _ in range(8):
        photo, item_depth, item_mask = pairs[0]
        bright = photo[0, 16, :] == 1.0
        near = item_depth[0, 16, :] == -0.05
        assert torch.equal(bright, near)  # flipped together (or not at all)
    shifted = FaceDepthPairs(np.zeros((1, 8, 8, 3), np.uint8), np.ones((1, 8, 8), np.float32),
                             np.ones((1, 8, 8), bool), shift=3)
    items = [shifted[0] for _ in range(20)]
    assert any(not m.all() for _, _, m in items)  # pixels shifted in from outside are not in the mask...
    assert all(torch.equal(m, d == 1) for _, d, m in items)  # ...and have no depth; the rest moved together


def test_the_network_answers_log_depth_and_a_mask_and_saves_with_its_config(tmp_path):
    model = FaceDepthNet(image_size=32, widths=(8, 16), hidden=32, fine_width=8).eval()
    log_depth, mask_logit = model(torch.rand(2, 3, 32, 32))
    assert log_depth.shape == mask_logit.shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="expected photos"):
        model(torch.rand(1, 3, 31, 32))
    model.save_pretrained(tmp_path)
    again = FaceDepthNet.from_pretrained(tmp_path).eval()
    photo = torch.rand(3, 50, 40)  # any size in: answered at the model's own size
    z, face = predict_depth(again, photo)
    assert z.shape == face.shape == (32, 32)
    assert torch.allclose(z, predict_depth(model, photo)[0])
    assert face.min() >= 0 and face.max() <= 1


def test_a_few_steps_on_synthetic_faces_lower_the_loss():
    """Learning, not plumbing: 60 steps of a tiny network on lit ellipsoids (a few seconds on one thread)."""
    torch.manual_seed(0)
    images, depth, mask = synthetic_faces(64, size=32)
    pairs = FaceDepthPairs(images, depth, mask, shift=2)
    model = FaceDepthNet(image_size=32, widths=(8, 16), hidden=64, fine_width=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        photos, z, m = (torch.stack(items) for items in zip(*(pairs[i] for i in torch.randint(0, 64, (16,))), strict=True))
        log_depth, mask_logit = model(photos)
        loss = depth_loss(log_depth, mask_logit, log_depth_target(z), m)
        optimizer.zero_grad(), loss.backward(), optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_targets_are_log_distances_from_the_camera():
    assert log_depth_target(torch.tensor(0.0)) == pytest.approx(np.log(CAMERA_DISTANCE))
    assert log_depth_target(torch.tensor(-0.1)) < log_depth_target(torch.tensor(0.1))  # nearer is smaller


def test_the_bench_scores_the_network_against_the_mean_face_per_source(tmp_path, capsys, monkeypatch):
    from bench import face_depth_quality

    images, depth, mask = synthetic_faces(12, size=32)
    np.savez(tmp_path / "faces.npz", images=images, depth=depth.astype(np.float16), mask=mask,
             split=np.array(["train"] * 8 + ["val"] * 4), source=np.array(["ffhq", "celeba"] * 6))
    FaceDepthNet(image_size=32, widths=(8, 16), hidden=32, fine_width=8).save_pretrained(tmp_path / "model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("MANIFOLD_WEIGHTS_FACE_DEPTH", raising=False)  # set again by --weights, undone below
    face_depth_quality.main(["--data", str(tmp_path / "faces.npz"), "--weights", str(tmp_path / "model")])
    monkeypatch.delenv("MANIFOLD_WEIGHTS_FACE_DEPTH")
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["ffhq"], ["celeba"], ["all"])}
    assert set(rows) == {"ffhq", "celeba", "all"}
    assert rows["ffhq"][1] == rows["celeba"][1] == "2" and rows["all"][1] == "4"
    assert "ms" in out


def test_a_single_pixel_spike_is_removed_and_a_smooth_face_kept():
    from core.image_prediction.depth_data import despike, usable_faces

    slope = np.tile(np.linspace(-0.1, 0.1, 16, dtype=np.float32), (16, 1))[None]
    mask = np.ones((1, 16, 16), bool)
    spiked = slope.copy()
    spiked[0, 8, 8] = -2.0  # a mesh point thrown two image widths towards the camera
    assert not usable_faces(spiked, mask)[0]
    cleaned = despike(spiked, mask)
    assert abs(cleaned[0, 8, 8] - slope[0, 8, 8]) < 0.02 and usable_faces(cleaned, mask)[0]
    assert np.allclose(despike(slope, mask), slope)  # nothing to remove on a smooth surface
