"""Style transfer: Gram matrices, the random feature network, the optimisation, the paintings' reader, the Space."""

import json
import struct
import zlib
from io import BytesIO

import numpy as np
import pytest
import torch
from PIL import Image

from core.style_transfer.features import RandomPyramidFeatures
from core.style_transfer.gatys import PyramidImage, gram, transfer
from core.style_transfer.paintings import assemble, paintings, read_qt_resources
from tests.conftest import space_module


def test_a_gram_matrix_forgets_where_features_are():
    features = torch.randn(1, 8, 6, 5)
    shuffled = features.flatten(2)[..., torch.randperm(30)].reshape(1, 8, 6, 5)
    assert gram(features).shape == (1, 8, 8)
    assert torch.allclose(gram(features), gram(shuffled), atol=1e-5)
    tiled = features.repeat(1, 1, 2, 2)  # the same texture over four times the area: the same matrix
    assert torch.allclose(gram(features), gram(tiled), atol=1e-5)


def test_the_random_network_is_a_function_of_its_seed():
    first, again, other = RandomPyramidFeatures(seed=0), RandomPyramidFeatures(seed=0), RandomPyramidFeatures(seed=1)
    weights = first.stages[0][0].weight
    assert torch.equal(weights, again.stages[0][0].weight)
    assert not torch.equal(weights, other.stages[0][0].weight)
    # torch's CPU generator pinned: a change would change every style the Space shows
    assert weights.flatten()[:3].tolist() == pytest.approx([-0.1838, -0.1882, -0.0409], abs=2e-3)
    maps = first(torch.rand(1, 3, 64, 48))
    assert [tuple(m.shape[-2:]) for m in maps] == [(64, 48), (32, 24), (16, 12), (8, 6), (4, 3)]
    assert not any(p.requires_grad for p in first.parameters())


def test_transfer_moves_towards_the_style_as_far_as_its_weight_lets_it():
    generator = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, 32, 32, generator=generator) * 0.2 + 0.4  # grey noise
    style = torch.rand(1, 3, 32, 32, generator=generator) * 0.2
    style[:, 0] += 0.7  # red noise
    network = RandomPyramidFeatures(widths=(8, 16, 32))

    def redness(image):
        return float(image[:, 0].mean() - image[:, 1:].mean())

    styled = list(transfer(network, content, style, steps=60, style_weight=1000, content_levels=(1,)))
    assert [s.step for s in styled] == list(range(1, 61))
    assert styled[-1].style_loss < 0.2 * styled[0].style_loss and redness(styled[-1].image) > 0.3
    assert styled[-1].image.min() >= 0 and styled[-1].image.max() <= 1
    kept = list(transfer(network, content, style, steps=10, style_weight=0, content_levels=(1,)))
    assert kept[-1].content_loss < 1e-3 and torch.allclose(kept[-1].image, content, atol=0.02)


def test_an_optimisation_resumed_on_other_threads_leaves_every_thread_with_grad_on():
    """Gradio runs each step of a streaming handler on any worker thread: a `no_grad` block open at a yield turned
    grad off for good in the thread that entered it (CI, 2026-12-07: the image-manifold autoencoder's training
    then failed on that thread)."""
    from concurrent.futures import ThreadPoolExecutor

    network = RandomPyramidFeatures(widths=(4, 8))
    steps = transfer(network, torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16), steps=4, content_levels=(1,))
    with ThreadPoolExecutor(1) as first, ThreadPoolExecutor(1) as second:
        for worker in (first, second, first, second):
            worker.submit(next, steps).result()
        assert first.submit(torch.is_grad_enabled).result() and second.submit(torch.is_grad_enabled).result()

def test_texture_synthesis_starts_from_noise_at_the_size_asked():
    style = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 0.2
    style[:, 0] += 0.7
    steps = list(transfer(RandomPyramidFeatures(widths=(8, 16, 32)), None, style, steps=60, size=(24, 32)))
    assert steps[-1].image.shape == (1, 3, 24, 32) and steps[-1].content_loss == 0
    assert steps[-1].style_loss < 0.05 * steps[0].style_loss
    assert steps[-1].image[:, 0].mean() - steps[-1].image[:, 1:].mean() > 0.5  # the style's red, with no photo


def test_a_pyramid_image_starts_as_its_picture():
    start = torch.rand(1, 3, 20, 30) * 0.9 + 0.05
    image = PyramidImage(start, levels=5)
    assert torch.allclose(image(), start, atol=1e-5)
    assert [tuple(level.shape[-2:]) for level in image.parameters] == [(20, 30), (10, 15), (5, 7), (2, 3)]


# -- the paintings: a Qt resource file like GCompris' --------------------------------------------------------

def qt_resource(files: dict[str, bytes]) -> bytes:
    """Write a Qt resource file (format 2, every file zlib-compressed) holding `files` ({path: bytes})."""
    root: dict = {}
    for path, data in files.items():
        node = root
        *folders, name = path.split("/")
        for folder in folders:
            node = node.setdefault(folder, {})
        node[name] = data
    entries, first_child = [("", root)], {}
    index = 0
    while index < len(entries):  # breadth first: a folder's children are consecutive entries
        name, node = entries[index]
        if isinstance(node, dict):
            first_child[index] = len(entries)
            entries.extend(sorted(node.items()))
        index += 1
    names, payload, tree = b"", b"", b""
    for index, (name, node) in enumerate(entries):
        encoded = name.encode("utf-16-be")
        name_offset = len(names)
        names += struct.pack(">HI", len(name), 0) + encoded
        if isinstance(node, dict):
            tree += struct.pack(">IHIIQ", name_offset, 2, len(node), first_child[index], 0)
        else:
            blob = struct.pack(">I", len(node)) + zlib.compress(node)
            tree += struct.pack(">IHHHIQ", name_offset, 1, 0, 0, len(payload), 0)
            payload += struct.pack(">I", len(blob)) + blob
    header = 20
    return (b"qres" + struct.pack(">IIII", 2, header, header + len(tree), header + len(tree) + len(payload))
            + tree + payload + names)


def puzzle_files(painting: Image.Image, title: str) -> dict[str, bytes]:
    """The painting cut into a left and a right piece on a 100x80 board, as GCompris stores it."""
    base = "gcompris/src/activities/paintings/resource/"
    files, pieces = {}, []
    half = painting.width // 2
    for number, box in enumerate([(0, 0, half, painting.height), (half, 0, painting.width, painting.height)]):
        piece = painting.crop(box).convert("RGBA")
        buffer = BytesIO()
        piece.save(buffer, "PNG")
        files[f"{base}image/piece_{number}.webp"] = buffer.getvalue()
        centre_x, centre_y = (10 + (box[0] + box[2]) / 2) / 100, (5 + painting.height / 2) / 80
        pieces.append(f'{{"pixmapfile" : "image/piece_{number}.webp", "x" : "{centre_x}", "y" : "{centre_y}"}}')
    board = (f'QtObject {{ property string instruction: qsTr("{title}")\n property var levels : [ '
             f'{{"pixmapfile" : "image/bg.svg", "type" : "SHAPE_BACKGROUND_IMAGE", "width": 100, "height": 80}}, '
             + ", ".join(pieces) + "]}")
    files[f"{base}board/board1_0.qml"] = board.encode()
    return files


def test_a_painting_is_put_back_together_from_a_qt_resource_file():
    painting = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8))
    files = puzzle_files(painting, "Vincent Van Gogh, Test Street - 1890")
    resource = qt_resource(files)
    assert read_qt_resources(resource) == files
    found = paintings(resource)
    assert len(found) == 1 and found[0].painter == "Vincent Van Gogh"
    assert np.array_equal(np.asarray(found[0].image), np.asarray(painting))
    with pytest.raises(ValueError, match="not a Qt resource"):
        read_qt_resources(b"PK\x03\x04 a zip")
    assert assemble(files["gcompris/src/activities/paintings/resource/board/board1_0.qml"].decode(), files).title \
        .endswith("1890")


def test_the_paintings_command_writes_every_painting_and_the_space_s_styles(tmp_path, monkeypatch):
    from train import style_paintings

    titles = [*style_paintings.SPACE_STYLES.values()]
    files = {}
    for number, title in enumerate(titles, 1):
        painting = Image.new("RGB", (60, 40), (40 * number, 0, 0))
        for path, data in puzzle_files(painting, title + ", and more").items():
            files[path.replace("board1_0", f"board{number}_0").replace("piece_", f"p{number}_")] = (
                data.replace(b"piece_", f"p{number}_".encode()) if path.endswith(".qml") else data)
    rcc = tmp_path / "paintings.rcc"
    rcc.write_bytes(qt_resource(files))
    style_paintings.main(["--rcc", str(rcc), "--output", str(tmp_path / "all"), "--bundle", str(tmp_path / "styles"),
                          "--bundle_side", "32"])
    manifest = json.loads((tmp_path / "all" / "manifest.json").read_text())
    assert len(manifest) == len(titles) and all("public domain" in entry["licence"] for entry in manifest)
    credits = json.loads((tmp_path / "styles" / "credits.json").read_text())
    assert [c["file"] for c in credits] == [f"{name}.jpg" for name in style_paintings.SPACE_STYLES]
    assert max(Image.open(tmp_path / "styles" / credits[0]["file"]).size) == 32


# -- the Space --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app():
    return space_module("style-transfer")


def test_the_space_s_styles_are_credited_small_paintings(app):
    assert len(app.STYLES) == 4
    for style, path in zip(app.STYLES, app.STYLE_EXAMPLES, strict=True):
        assert "public domain" in style["licence"] and "GPL-3.0" in style["licence"]
        with Image.open(path) as image:
            assert max(image.size) <= 384
    assert "Hokusai" in app.style_caption(app.STYLE_EXAMPLES[1]) and app.style_caption(None) == ""


def test_an_example_pair_streams_its_steps_once_and_then_comes_at_once(app, monkeypatch):
    monkeypatch.setattr(app, "shared", app.SharedResults())
    label = list(app.MATCHES)[0]
    first = list(app.stylise(app.CONTENT_EXAMPLES[0], app.STYLE_EXAMPLES[0], label, 20, 20))
    assert len(first) == 2 and "Step 20 of 20" in first[-1][1]  # a picture every ten steps
    picture = first[-1][0]
    assert picture.size == (256, 256 * 300 // 451)  # chelsea, 451x300, to 256 px on its long side
    again = list(app.stylise(app.CONTENT_EXAMPLES[0], app.STYLE_EXAMPLES[0], label, 20, 20))
    assert len(again) == 1 and np.array_equal(np.asarray(again[0][0]), np.asarray(picture))


def test_a_visitor_s_own_images_run_for_them_and_a_texture_needs_no_photo(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "shared", app.SharedResults())
    style = tmp_path / "mine.png"
    Image.new("RGB", (50, 30), (200, 30, 30)).save(style)
    texture = list(app.stylise(None, str(style), list(app.MATCHES)[1], 10, 10))
    assert texture[-1][0].size == (256, 192) and "style loss" in texture[-1][1] and "content" not in texture[-1][1]
    assert app.shared.results == {}  # an upload is nobody else's: not kept


@pytest.mark.parametrize("arguments, message", [
    ((None, "STYLE", "transfer", 20, 20), "Content photo"),
    (("CONTENT", None, "transfer", 20, 20), "Style image"),
    (("CONTENT", "STYLE", "transfer", 20, 1000), "Steps"),
    (("CONTENT", "STYLE", "transfer", -1, 20), "Style weight"),
    (("CONTENT", "STYLE", "something else", 20, 20), "Match"),
])
def test_bad_inputs_get_our_message(app, arguments, message):
    import gradio as gr

    content, style, match, weight, steps = arguments
    content = app.CONTENT_EXAMPLES[0] if content == "CONTENT" else content
    style = app.STYLE_EXAMPLES[0] if style == "STYLE" else style
    match = list(app.MATCHES)[0] if match == "transfer" else match
    with pytest.raises((gr.Error, ValueError), match=message):
        list(edge_wrapped(app)(content, style, match, weight, steps))


def edge_wrapped(app):
    from core.common import edge

    return edge.user_errors(app.stylise)


# -- the feed-forward networks' recipe ----------------------------------------------------------------------------

def test_the_transform_network_keeps_any_size_and_stays_in_range():
    from core.style_transfer.transform import StyleTransformNet, stylise

    network = StyleTransformNet(width=4, blocks=1, style="stripes").eval()
    for height, width in ((17, 30), (64, 64), (5, 9)):
        with torch.no_grad():
            painted = network(torch.rand(2, 3, height, width))
        assert painted.shape == (2, 3, height, width) and painted.min() >= 0 and painted.max() <= 1
    assert stylise(network, Image.new("RGB", (33, 21), "blue")).size == (33, 21)


@pytest.mark.slow  # 60 steps of the recipe
def test_the_recipe_lowers_the_style_loss_and_releases_a_loadable_network(tmp_path):
    from core.style_transfer.transform import StyleTransformNet
    from train import style_transfer

    style_transfer.main(["--style", "synthetic:stripes", "--data", "synthetic:fields", "--eval_data", "synthetic:fields",
                         "--eval_count", "2", "--crop", "32", "--width", "8", "--blocks", "2", "--batch_size", "4",
                         "--max_steps", "60", "--learning_rate", "3e-3", "--warmup_steps", "0", "--log_every", "10",
                         "--sample_every", "1000", "--output_dir", str(tmp_path)])
    log = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    style = [r["style_loss"] for r in log if "style_loss" in r]
    assert style[-1] < 0.7 * style[0]
    card = (tmp_path / "final" / "README.md").read_text()
    assert "synthetic stripes" in card and "not VGG" in card and "eval_style_loss" in card
    assert StyleTransformNet.from_pretrained(tmp_path / "final").style == "synthetic stripes"


def test_runs_left_behind_keep_no_locks(app, monkeypatch):
    """A visitor who leaves mid-run (Gradio closes the generator) or finishes: the run's lock is dropped, so new
    settings by the hundred leave nothing behind; the finished result stays, bounded."""
    monkeypatch.setattr(app, "shared", app.SharedResults(maxsize=2))
    label = list(app.MATCHES)[0]
    for steps in (10, 20, 30):
        stream = app.stylise(app.CONTENT_EXAMPLES[1], app.STYLE_EXAMPLES[2], label, 5, steps)
        next(stream)  # the first picture, then the visitor leaves
        stream.close()
    assert app.shared.running == {} and app.shared.results == {}
    list(app.stylise(app.CONTENT_EXAMPLES[1], app.STYLE_EXAMPLES[2], label, 5, 10))
    assert app.shared.running == {} and len(app.shared.results) == 1


# -- the one-pass tab -----------------------------------------------------------------------------------------

def test_each_one_pass_network_is_its_painting_s_and_loads_offline_from_its_bundled_twin(app):
    assert set(app.networks) == {app.STYLE_FILES[file][1] for file in app.ONE_PASS_REPOS}
    for title, network in app.networks.items():
        assert network.style == title  # the weights were trained on the painting the tab names
        assert app.network_sources[title].is_fallback  # offline: the bundled copy, and the page says so
        assert "Offline demo weights" in app.network_sources[title].markdown()


def test_one_pass_paints_the_photo_at_its_size_and_says_how_long_it_took(app):
    title = next(iter(app.networks))
    painted, note = app.one_pass(app.CONTENT_EXAMPLES[0], title)
    assert painted.size == (256, 256 * 300 // 451) and "One pass:" in note and " ms" in note
    photo = np.asarray(app.read(app.CONTENT_EXAMPLES[0], "photo"), np.float32)
    assert np.abs(np.asarray(painted, np.float32) - photo).mean() > 10  # painted, not handed back
    assert app.one_pass(None, title) == (None, "")  # a cleared photo: nothing, quietly


def test_an_example_s_one_pass_is_painted_once_for_the_class_and_an_upload_each_time(app, tmp_path):
    title = next(iter(app.networks))
    first, again = app.one_pass(app.CONTENT_EXAMPLES[1], title), app.one_pass(app.CONTENT_EXAMPLES[1], title)
    assert again[0] is first[0] and "timed when first asked" in first[1]
    painting = app.STYLE_EXAMPLES[0]  # an example of the other kind, given as the photo: painted like an upload
    assert "timed when first asked" not in app.one_pass(painting, title)[1]
    mine = tmp_path / "mine.png"
    Image.new("RGB", (40, 30), (20, 120, 200)).save(mine)
    assert app.one_pass(str(mine), title)[0] is not app.one_pass(str(mine), title)[0]


def test_the_optimised_twin_of_an_example_is_the_optimise_tab_s_shared_result(app, monkeypatch):
    monkeypatch.setattr(app, "shared", app.SharedResults())
    monkeypatch.setattr(app, "DEFAULT_STEPS", 10)
    title = next(iter(app.networks))
    twin = list(app.optimised_twin(app.CONTENT_EXAMPLES[0], title))
    assert "Step 10 of 10" in twin[-1][1] and "took" in twin[-1][1]
    label = list(app.MATCHES)[0]
    same = list(app.stylise(app.CONTENT_EXAMPLES[0], app.network_paintings[title], label, app.DEFAULT_WEIGHT, 10))
    assert len(same) == 1 and np.array_equal(np.asarray(same[0][0]), np.asarray(twin[-1][0]))  # computed once


def test_a_visitor_s_own_photo_is_optimised_only_when_asked(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "shared", app.SharedResults())
    monkeypatch.setattr(app, "DEFAULT_STEPS", 10)
    mine = tmp_path / "mine.png"
    Image.new("RGB", (40, 30), (20, 120, 200)).save(mine)
    title = next(iter(app.networks))
    assert [picture for picture, _ in app.optimised_twin(str(mine), title)] == [None]  # not run on its own
    asked = list(app.optimise_own(str(mine), title))
    assert asked[-1][0].size == (40, 30) and app.shared.results == {}  # run for them, kept by nobody


@pytest.mark.parametrize("photo, network, message", [
    ("CONTENT", "Munch, The Scream", "Network"),
    ("not-a-file.png", None, "Content photo"),
])
def test_one_pass_refuses_bad_inputs_with_our_message(app, photo, network, message):
    import gradio as gr

    from core.common import edge

    photo = app.CONTENT_EXAMPLES[0] if photo == "CONTENT" else photo
    network = network or next(iter(app.networks))
    with pytest.raises((gr.Error, ValueError), match=message):
        edge.user_errors(app.one_pass)(photo, network)
