"""PCA Space: each tab's handler at its default settings, and our PCA fit against scikit-learn's."""

from sklearn.decomposition import PCA as SklearnPCA

from bench.harness import Case
from core.common import point_clouds
from core.common.image_sets import load_image_set
from core.pca.model import fit_pca


def cases(app):
    points = point_clouds.near_plane_3d(600, 0.1, 35, 20)
    digits = load_image_set("digits").flat()
    faces = load_image_set("faces").flat()
    return [
        Case("2-D tab: 200 points, plot + eigen table", lambda: app.line_demo(200, 0.3, 30, 0)),
        Case("3-D tab: 600 points, k=2, plot + bars", lambda: app.plane_demo("plane (2-D data)", 600, 0.1, 35, 20, 2, 0)),
        Case("eigen-images tab (digits, PCA cached)", lambda: app.eigen_images("digits")),
        Case("reconstruct one face, k=20 + error curve", lambda: app.reconstruct("faces", 5, 20)),
        Case("fit PCA: 600 x 3 points", lambda: fit_pca(points),
             baseline=lambda: SklearnPCA().fit(points), baseline_name="sklearn PCA"),
        Case("fit PCA: 1797 digits x 64 px", lambda: fit_pca(digits),
             baseline=lambda: SklearnPCA().fit(digits), baseline_name="sklearn PCA"),
        Case("fit PCA: 100 faces x 625 px (SVD)", lambda: fit_pca(faces),
             baseline=lambda: SklearnPCA().fit(faces), baseline_name="sklearn PCA"),
    ]
