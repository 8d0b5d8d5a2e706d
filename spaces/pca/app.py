"""PCA: linear dimensionality reduction, from point clouds to eigen-images."""

from functools import cache

import gradio as gr
import numpy as np

from core.common import edge, links, point_clouds
from core.common.display import pixel_grid
from core.common.image_sets import IMAGE_SETS, load_image_set
from core.common.seeds import MAX_SEED
from core.pca import figures as figs
from core.pca.model import PCA, fit_pca

SHAPES_3D = {"plane (2-D data)": "plane", "line (1-D data)": "line", "ball (no structure)": "ball"}
DESCRIPTION = """# 📐 PCA: linear dimensionality reduction
Data often varies along far fewer directions than it has coordinates. PCA finds those directions:
the eigenvectors of the covariance matrix, ordered by their eigenvalues (the variance along each).
Keeping the first *k* and dropping the rest is the best linear compression of the data."""
# What a student should see in each tab's result at its default settings (checked against what it shows).
NOTICES = {
    "line": "**What to notice:** PC1 points along the line: its eigenvector (+0.85, +0.53) is 32° from the x-axis, "
            "for a line drawn at 30°, and its eigenvalue (the variance of the data along it) holds 95.9% of the "
            "total; PC2 holds the noise. Keeping PC1 alone costs exactly the variance dropped: the error below the "
            "table (0.092) is PC2's eigenvalue λ2, up to the factor (N−1)/N.",
    "plane": "**What to notice:** two eigenvalues are large (2.18 and 0.55) and the third tiny (0.011, 0.4% of the "
             "variance): the cloud is flat, so with k = 2 each point keeps two numbers and loses only that third "
             "eigenvalue (error 0.0106). Pick *ball (no structure)* and the three come out nearly equal (1.28, 1.19, "
             "1.13): there is no direction to drop.",
    "eigen": "**What to notice:** the first eigen-images are broad light and dark blobs, later ones finer and more "
             "checkered; the first 15 of the 64 explain 83.5% of the digits' variance. With k = 10 numbers instead "
             "of 64, image 0 is still plainly a zero (error 0.0087, against 0.061 for the mean image alone at "
             "k = 0), and the residual is faint, scattered pixel differences.",
}


@edge.remember()  # seeded or fixed data: a default view is built once, not per visitor
def line_demo(count, noise, angle, seed):
    points = point_clouds.near_line_2d(int(count), float(noise), float(angle), seed=int(seed))
    pca = fit_pca(points)
    error = pca.reconstruction_error(points, 1)
    note = (f"\n\nKeeping PC1 only: mean squared reconstruction error **{error:.4f}** "
            f"= λ2 × (N−1)/N = {pca.variances[1] * (len(points) - 1) / len(points):.4f} (the variance we dropped).")
    return figs.scatter_2d(points, pca, 1), figs.eigen_table(points, pca) + note


@edge.remember()  # seeded or fixed data: a default view is built once, not per visitor
def plane_demo(shape, count, noise, tilt, azimuth, k, seed):
    kind = SHAPES_3D.get(shape, shape)
    count, noise, seed = int(count), float(noise), int(seed)
    if kind == "plane":
        points = point_clouds.near_plane_3d(count, noise, float(tilt), float(azimuth), seed=seed)
    elif kind == "line":
        points = point_clouds.near_line_3d(count, noise, float(tilt), float(azimuth), seed=seed)
    elif kind == "ball":
        points = point_clouds.blob_3d(count, noise, seed=seed)
    else:
        raise ValueError(f"unknown shape {shape!r}; choose one of {', '.join(SHAPES_3D)}")
    pca = fit_pca(points)
    k = pca.check_k(int(k))
    error = pca.reconstruction_error(points, k)
    note = f"\n\nKeeping k = {k}: mean squared reconstruction error **{error:.4f}**."
    return figs.scatter_3d(points, pca, k), figs.explained_variance_bars(pca, k), figs.eigen_table(points, pca) + note


@cache
def image_pca(set_name: str) -> PCA:
    return fit_pca(load_image_set(set_name).flat())


@edge.remember(images_as_files=True)  # seeded or fixed data: a default view is built once, not per visitor
def eigen_images(set_name):
    images, pca = load_image_set(set_name), image_pca(set_name)
    height, width = images.shape
    scale = max(1, 96 // max(height, width))
    tiles = [pca.mean.reshape(height, width)] + [figs.signed(pca.components[i].reshape(height, width)) for i in range(15)]
    caption = (f"{images.credit}: {len(images.images)} images of {height}x{width} = {height * width} pixels. "
               f"First tile: the mean image; then PC1..PC15 (gray = 0, light = +, dark = −). "
               f"The first 15 components explain {pca.explained_ratio[:15].sum():.1%} of the variance.")
    return pixel_grid(np.stack(tiles), columns=8, scale=scale), figs.explained_variance_bars(pca, 15), caption


@edge.remember(images_as_files=True)  # seeded or fixed data: a default view is built once, not per visitor
def reconstruct(set_name, index, k):
    images, pca = load_image_set(set_name), image_pca(set_name)
    index = int(index)
    if not 0 <= index < len(images.images):
        raise ValueError(f"image index must be between 0 and {len(images.images) - 1}, got {index}")
    k = pca.check_k(min(int(k), len(pca.variances)))
    original = images.flat()[index : index + 1]
    recon = pca.reconstruct(original, k)
    height, width = images.shape
    scale = max(1, 160 // max(height, width))
    shown = np.stack([original[0].reshape(height, width), recon[0].reshape(height, width),
                      figs.signed((original - recon)[0].reshape(height, width))])
    ks = np.arange(0, min(len(pca.variances), 120) + 1)
    errors = np.array([np.mean((original - pca.reconstruct(original, j)) ** 2) for j in ks])
    k_plot = min(k, ks[-1])
    text = (f"With k = {k} of {pca.dim} numbers per image: mean squared error {errors[k_plot]:.5f} "
            f"(k = 0 is just the mean image). Tiles: original, reconstruction, residual.")
    return pixel_grid(shown, scale=scale), figs.error_curve(errors, k_plot, f"Reconstruction error of image {index}"), text


def slider_ranges(set_name, index, k):
    """New ranges for a new set; the image and k stay where the student (or a link) put them, within the new set."""
    images, pca = load_image_set(set_name), image_pca(set_name)
    return within(int(index), len(images.images) - 1), within(int(k), len(pca.variances))


def within(value: int, maximum: int):
    """A slider's new maximum; its value is sent only when it must shrink (sent always, it reset a value typed
    while the page was still loading: the load event read the old one)."""
    return gr.Slider(maximum=maximum) if value <= maximum else gr.Slider(maximum=maximum, value=maximum)


with gr.Blocks(title="PCA: linear dimensionality reduction") as demo:
    gr.Markdown(DESCRIPTION)
    with gr.Tabs() as tabs:
        with gr.Tab("2-D → 1-D", id="line"):
            gr.Markdown("Points near a line: PC1 finds the line; projecting onto it keeps one number per point.")
            with gr.Row():
                with gr.Column(scale=1):
                    count2 = gr.Slider(2, 1000, 200, step=1, label="Number of points", info="more points, steadier estimate")
                    noise2 = gr.Slider(0, 2, 0.3, label="Noise off the line", info="noise = the variance PC2 picks up")
                    angle2 = gr.Slider(-90, 90, 30, label="Line angle (degrees)", info="PCA has no preferred axis")
                    seed2 = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Random seed", info="same seed, same draw: share it to reproduce a view")
                plot2 = gr.Plot(label="data and principal axes", scale=2)
            table2 = gr.Markdown()
            gr.Markdown(NOTICES["line"])
            links.copy_button()
        with gr.Tab("3-D → 2-D", id="plane"):
            gr.Markdown("A cloud near a plane: two big eigenvalues, one small. Keep k = 2 and the plane is all you need.")
            with gr.Row():
                with gr.Column(scale=1):
                    shape3 = gr.Radio(list(SHAPES_3D), value="plane (2-D data)", label="Shape", info="how many directions really vary?")
                    count3 = gr.Slider(3, 3000, 600, step=1, label="Number of points")
                    noise3 = gr.Slider(0, 1, 0.1, label="Noise off the shape", info="becomes the smallest eigenvalue")
                    tilt3 = gr.Slider(-90, 90, 35, label="Tilt (degrees)")
                    azimuth3 = gr.Slider(0, 180, 20, label="Azimuth (degrees)")
                    k3 = gr.Slider(0, 3, 2, step=1, label="k: components kept", info="0 keeps only the mean")
                    seed3 = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Random seed", info="same seed, same draw: share it to reproduce a view")
                plot3 = gr.Plot(label="3-D view", scale=2)
            bars3 = gr.Plot(label="explained variance")
            table3 = gr.Markdown()
            gr.Markdown(NOTICES["plane"])
            links.copy_button()
        with gr.Tab("Eigen-images", id="eigen"):
            gr.Markdown("Images are points too: an 8x8 digit is a point in 64-D. PCA on a set of images gives eigen-images.")
            set_name = gr.Radio(list(IMAGE_SETS), value="digits", label="Image set", info="digits and faces are real data; patches are cut from photos")
            with gr.Row():
                components = gr.Image(label="mean image, then the first 15 components", format="png", scale=2)
                bars_images = gr.Plot(label="explained variance")
            caption = gr.Markdown()
            with gr.Row():
                # Static ranges cover every set (API calls are checked against them); the handler checks the rest.
                index = gr.Slider(0, 1999, 0, step=1, label="Image", info="which image to compress")
                k_images = gr.Slider(0, 625, 10, step=1, label="k: components kept", info="numbers stored per image")
            with gr.Row():
                recon_image = gr.Image(label="original | reconstruction | residual", format="png")
                curve = gr.Plot(label="error as k grows")
            recon_text = gr.Markdown()
            gr.Markdown(NOTICES["eigen"])
            links.copy_button()

    link = links.Link({"points": count2, "noise": noise2, "angle": angle2, "seed": seed2, "shape": shape3,
                       "points3": count3, "noise3": noise3, "tilt": tilt3, "azimuth": azimuth3, "k3": k3,
                       "seed3": seed3, "set": set_name, "image": index, "k": k_images}, tabs)
    inputs2 = [count2, noise2, angle2, seed2]
    inputs3 = [shape3, count3, noise3, tilt3, azimuth3, k3, seed3]
    # each result's named endpoint (gradio_client, the tests) is the event its controls fire. What a person does
    # (typing, dragging, picking), not `change`: a shared link sets these controls too, and a change event fired
    # while the page restored them could read one not yet restored (denoising's digits tab did, in CI); the link's
    # own event computes its results (core.common.links). "always_last": a burst of drags runs once more at most.
    gr.on([c.input for c in inputs2], line_demo, inputs2, [plot2, table2], api_name="line", show_progress="hidden",
          trigger_mode="always_last")
    gr.on([c.input for c in inputs3], plane_demo, inputs3, [plot3, bars3, table3], api_name="plane",
          show_progress="hidden", trigger_mode="always_last")
    set_name.input(eigen_images, set_name, [components, bars_images, caption], api_name="eigen_images")
    # a new set first fits the sliders to it (the image may not exist in the smaller set), then reconstructs
    set_name.input(slider_ranges, [set_name, index, k_images], [index, k_images], api_name=False).then(
        reconstruct, [set_name, index, k_images], [recon_image, curve, recon_text], api_name=False,
        show_progress="hidden")
    gr.on([index.input, k_images.input], reconstruct, [set_name, index, k_images],
          [recon_image, curve, recon_text], api_name="reconstruct", show_progress="hidden", trigger_mode="always_last")
    # A shared link's settings and tab, and every result at default settings, in one call (cached). The sliders'
    # ranges are the largest set's (natural patches: 2,000 images) so that any set's values pass the edge's checks;
    # on the page they follow the set shown (digits: 1,797 images, 64 numbers each).
    link.restore(demo, shown=[links.Shown(line_demo, inputs2, [plot2, table2]),
                              links.Shown(plane_demo, inputs3, [plot3, bars3, table3]),
                              links.Shown(eigen_images, [set_name], [components, bars_images, caption]),
                              links.Shown(reconstruct, [set_name, index, k_images], [recon_image, curve, recon_text]),
                              links.Shown(slider_ranges, [set_name, index, k_images], [index, k_images])])

if __name__ == "__main__":
    edge.launch(demo)
