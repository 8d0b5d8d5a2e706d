"""PCA: agrees with the SVD, eigen claims hold, degenerate inputs get messages; the Space answers."""

import numpy as np
import pytest
from gradio_client import Client

from core.common import point_clouds
from core.pca.model import eigen_summary, fit_pca, fit_pca_svd
from tests.conftest import plot_traces


def aligned(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Flip rows of b to a's sign (eigenvector signs are arbitrary)."""
    return b * np.sign(np.sum(a * b, axis=1, keepdims=True))


@pytest.mark.parametrize("shape", [(200, 3), (50, 10), (8, 30)])
def test_pca_matches_numpy_svd(shape):
    points = np.random.default_rng(0).normal(size=shape) * np.linspace(3, 0.5, shape[1])
    pca = fit_pca(points)
    _, singular, vt = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)
    rank = min(shape[0] - 1, shape[1])
    np.testing.assert_allclose(pca.variances[:rank], (singular**2 / (shape[0] - 1))[:rank], atol=1e-6)
    np.testing.assert_allclose(pca.components[:rank], aligned(pca.components[:rank], vt[:rank]), atol=1e-6)
    np.testing.assert_allclose(pca.explained_ratio.sum(), 1.0, atol=1e-12)


def test_eigen_route_and_svd_route_agree():
    points = point_clouds.near_plane_3d(300, 0.2, 30, 40, seed=1)
    a, b = fit_pca(points), fit_pca_svd(points)
    np.testing.assert_allclose(a.variances, b.variances, atol=1e-9)
    np.testing.assert_allclose(a.components, b.components, atol=1e-9)


def test_eigenvalues_are_the_variances_along_the_eigenvectors():
    points = point_clouds.near_line_2d(500, 0.3, 30, seed=2)
    pca = fit_pca(points)
    check = eigen_summary(points, pca)
    np.testing.assert_allclose(check["projected_variance"], pca.variances, rtol=1e-10)
    assert check["eigen_residual"].max() < 1e-10
    direction = np.array([np.cos(np.radians(30)), np.sin(np.radians(30))])
    assert abs(pca.components[0] @ direction) > 0.99  # PC1 is the line


def test_reconstruction_error_is_the_dropped_variance():
    points = point_clouds.near_plane_3d(400, 0.1, 20, 10, seed=3)
    pca = fit_pca(points)
    n = len(points)
    for k in range(4):
        assert pca.reconstruction_error(points, k) == pytest.approx(pca.variances[k:].sum() * (n - 1) / n)


@pytest.mark.parametrize("points, message", [
    (np.zeros((1, 3)), "at least 2 points"),
    (np.ones((10, 3)), "identical"),
    (np.zeros(5), r"\(N, D\)"),
    (np.array([[0.0, 1.0], [np.nan, 2.0]]), "NaN"),
])
def test_degenerate_inputs_give_clear_messages(points, message):
    with pytest.raises(ValueError, match=message):
        fit_pca(points)


def test_k_larger_than_the_dimension_is_refused():
    pca = fit_pca(point_clouds.near_line_2d(10, 0.1, 0))
    with pytest.raises(ValueError, match="between 0 and the data dimension 2"):
        pca.reconstruct(np.zeros((1, 2)), 3)


def test_point_cloud_arguments_are_checked():
    with pytest.raises(ValueError, match="number of points"):
        point_clouds.near_line_2d(0, 0.1, 0)
    with pytest.raises(ValueError, match="noise"):
        point_clouds.blob_3d(10, -1)


@pytest.fixture(scope="module")
def pca_client(served_spaces):
    return Client(f"{served_spaces.url}/pca/", verbose=False)


def test_client_line_endpoint(pca_client):
    figure, table = pca_client.predict(200, 0.3, 30, 0, api_name="/line")
    assert "PC1" in table and "‖Cv − λv‖" in table and "λ2" in table
    assert "scatter" in plot_traces(figure)


def test_client_plane_endpoint(pca_client):
    _, bars, table = pca_client.predict("plane (2-D data)", 300, 0.1, 35, 20, 2, 0, api_name="/plane")
    assert "PC3" in table and "k = 2" in table and plot_traces(bars)[0] == "bar"


def test_client_eigen_images_and_reconstruct(pca_client):
    from PIL import Image

    tiles, _, caption = pca_client.predict("faces", api_name="/eigen_images")
    assert "100 images of 25x25" in caption
    assert Image.open(tiles).format == "PNG"
    strip, _, text = pca_client.predict("digits", 3, 64, api_name="/reconstruct")
    assert "k = 64 of 64" in text and "error 0.00000" in text  # all components: exact


@pytest.mark.parametrize("args, api, message", [
    ((1, 0.3, 30, 0), "/line", "Number of points: 1 is out of range; use a number between 2 and 1000"),
    ((50, 0.0, 30, 0), "/line", None),  # noise 0: points exactly on the line, still fine
    (("plane (2-D data)", 100, 0.1, 35, 20, 4, 0), "/plane", "k: components kept: 4 is out of range; use a number between 0 and 3"),
    (("faces", 500, 3), "/reconstruct", "image index must be between 0 and 99"),
    (("faces", 5, 700), "/reconstruct", "k: components kept: 700 is out of range"),
    (("no such set",), "/eigen_images", "Image set: choose one of digits"),
])
def test_client_edge_cases_get_messages_not_tracebacks(pca_client, args, api, message):
    if message is None:
        pca_client.predict(*args, api_name=api)
        return
    with pytest.raises(Exception, match=message):
        pca_client.predict(*args, api_name=api)


def test_natural_patches_have_texture_so_the_first_one_shown_is_not_black():
    from core.common.image_sets import natural_patches

    patches = natural_patches()
    assert len(patches.images) == 2000 and patches.images.reshape(2000, -1).std(axis=1).min() >= 0.03


def test_switching_image_sets_keeps_k_where_the_student_put_it():
    from tests.conftest import space_module

    app = space_module("pca")
    index, k = app.slider_ranges("faces", 0, 37)
    # only the new maxima are sent: a value typed while the page loaded stays (the browser reset it to 10 before)
    assert k.constructor_args == {"maximum": 100} and index.constructor_args == {"maximum": 99}
    _, k = app.slider_ranges("digits", 0, 300)  # more than digits' 64 dimensions: the most it has
    assert k.value == 64 and k.maximum == 64
