"""image-manifold Space: unroll a sheet, noise vs natural images, interpolation."""

from bench.harness import Case, uncached
from core.common import point_clouds
from core.image_manifold import embeddings as manifold


def cases(app):
    points, _ = point_clouds.swiss_roll(800, 0.2)
    return [
        Case("unroll 800-point swiss roll (PCA + Isomap, scored)", lambda: uncached(app.unroll)("swiss roll", 800, 0.2, 10, 0),
             repeats=10),
        Case("Isomap embedding alone (800 points)", lambda: manifold.embed_isomap(points, 10),
             baseline=lambda: manifold.embed_pca(points), baseline_name="PCA embedding", repeats=10),
        Case("train 3-2-3 autoencoder on the spot (1200 steps)",
             lambda: app.train_autoencoder("swiss roll", 800, 0.2, 10, 0, progress=lambda *a, **k: None), repeats=3),
        Case("100 random vs 100 natural images, histogram", lambda: app.noise_vs_natural(100, 0), repeats=10),
        Case("interpolate two digits, 8 steps", lambda: app.interpolate(3, 360, 8)),
    ]
