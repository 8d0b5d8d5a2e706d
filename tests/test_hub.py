"""Weight loading: bundled twin through from_pretrained, fast offline fallback, no pickles, overrides."""

import json

import pytest
import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from core import hub
from core.hub import PickleRefusedError, WeightsNotFoundError, load_pretrained, override_variable


class TinyNet(nn.Module, PyTorchModelHubMixin):
    def __init__(self, width: int = 3):
        super().__init__()
        self.linear = nn.Linear(2, width)

    def forward(self, x):
        return self.linear(x)


@pytest.fixture
def bundled_root(tmp_path):
    """A bundled_weights folder holding `tiny-net`, saved by save_pretrained (Hub layout)."""
    torch.manual_seed(0)
    model = TinyNet(width=5)
    model.save_pretrained(tmp_path / "tiny-net")
    return tmp_path


def test_falls_back_to_bundled_weights_offline_and_says_why(bundled_root):
    model, source = load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    saved = TinyNet.from_pretrained(bundled_root / "tiny-net")
    assert source.kind == "bundled" and source.is_fallback
    assert "HF_HUB_OFFLINE" in source.reason
    assert "Offline demo weights" in source.markdown() and "manifold-lab/tiny-net" in source.markdown()
    assert model.linear.out_features == 5  # config.json restored the constructor's keyword config
    assert torch.equal(model.linear.weight, saved.linear.weight)
    assert not model.training


def test_unreachable_hub_is_detected_fast(bundled_root, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")
    probes, downloads = [], []
    probe, download = hub.hub_is_reachable, hub.download_snapshot
    monkeypatch.setattr(hub, "hub_is_reachable", lambda *a, **k: probes.append(k) or probe(*a, **k))
    monkeypatch.setattr(hub, "download_snapshot", lambda repo, rev, local_only: downloads.append(local_only)
                        or download(repo, rev, local_only))
    _, source = load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    assert source.kind == "bundled" and "not reachable" in source.reason
    # one bounded probe decided it (its deadline: REACHABILITY_TIMEOUT_S), then only the local cache was asked,
    # never huggingface_hub's ~20 s of retries per file
    assert len(probes) == 1 and downloads == [True] and hub.REACHABILITY_TIMEOUT_S <= 2


def test_reachability_probe_respects_offline_flag():
    assert hub.hub_is_reachable("https://huggingface.co") is False  # HF_HUB_OFFLINE=1 in every test


def test_pickle_only_folder_is_refused(tmp_path):
    folder = tmp_path / "tiny-net"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"width": 3}))
    torch.save(TinyNet().state_dict(), folder / "pytorch_model.bin")
    with pytest.raises(PickleRefusedError, match="pytorch_model.bin"):
        load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=tmp_path)


def test_weights_without_config_are_refused(bundled_root):
    (bundled_root / "tiny-net" / "config.json").unlink()
    with pytest.raises(WeightsNotFoundError, match="config.json"):
        load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)


def test_missing_bundle_is_a_clear_error(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="no bundled folder"):
        load_pretrained(TinyNet, "manifold-lab/absent", bundled_root=tmp_path)


def test_keys_must_match_the_class(bundled_root):
    class OtherNet(nn.Module, PyTorchModelHubMixin):
        def __init__(self, width: int = 3):
            super().__init__()
            self.other = nn.Linear(2, width)

    with pytest.raises(RuntimeError, match="other"):
        load_pretrained(OtherNet, "manifold-lab/tiny-net", bundled_root=bundled_root)


def test_environment_override_with_a_local_folder(bundled_root, tmp_path, monkeypatch):
    TinyNet(width=7).save_pretrained(tmp_path / "mine")
    monkeypatch.setenv(override_variable("tiny-net"), str(tmp_path / "mine"))
    assert override_variable("tiny-net") == "MANIFOLD_WEIGHTS_TINY_NET"
    model, source = load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    assert source.kind == "local" and model.linear.out_features == 7


def test_environment_override_with_another_repo_keeps_the_bundled_fallback(bundled_root, monkeypatch):
    monkeypatch.setenv(override_variable("tiny-net"), "someone/better-net@v2")
    _, source = load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    assert source.repo_id == "someone/better-net" and source.kind == "bundled"


def test_bundled_weights_in_the_repo_are_small_and_in_hub_layout():
    for folder in hub.BUNDLED_ROOT.iterdir() if hub.BUNDLED_ROOT.exists() else []:
        if folder.is_dir():
            assert {"config.json", "README.md"} <= {p.name for p in folder.iterdir()}
            # our layout, or diffusers' (unet/ + scheduler/, which DDPMPipeline.from_pretrained also reads)
            assert (folder / "model.safetensors").is_file() or (folder / "unet" / "diffusion_pytorch_model.safetensors").is_file()
            for file in folder.rglob("*"):
                assert file.stat().st_size < 10_000_000, f"{file} is over the Hub's 10 MB non-LFS limit"
            # a card edited by hand after each release must not keep the last release's sections beside the new
            headings = [line for line in (folder / "README.md").read_text().splitlines() if line.startswith("## ")]
            assert len(headings) == len(set(headings)), f"{folder.name}'s card repeats a section: {headings}"


@pytest.fixture
def local_hub(monkeypatch, tmp_path, bundled_root):
    """olah serving `manifold-lab/tiny-net` (width 4, unlike the bundled width-5 twin) over real HTTP."""
    from tests.local_hub import serve_local_hub, use_endpoint

    torch.manual_seed(1)
    TinyNet(width=4).save_pretrained(tmp_path / "hub-tiny-net")
    pickle_only = tmp_path / "hub-pickle-net"
    pickle_only.mkdir()
    (pickle_only / "config.json").write_text(json.dumps({"width": 3}))
    torch.save(TinyNet().state_dict(), pickle_only / "pytorch_model.bin")
    repos = {"manifold-lab/tiny-net": tmp_path / "hub-tiny-net", "manifold-lab/pickle-net": pickle_only}
    with serve_local_hub(repos) as endpoint:
        use_endpoint(monkeypatch, endpoint, tmp_path / "hf_cache")
        yield endpoint


def test_downloads_from_the_hub_when_it_answers(local_hub, bundled_root, tmp_path):
    model, source = load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    assert source.kind == "hub" and source.reason is None
    assert len(source.revision) == 40 and str(tmp_path / "hf_cache") in str(source.path)
    assert model.linear.out_features == 4  # the Hub's weights, not the bundled twin
    assert torch.equal(model.linear.weight, TinyNet.from_pretrained(tmp_path / "hub-tiny-net").linear.weight)
    assert "from the Hugging Face Hub" in source.markdown()


def test_cached_download_is_used_when_offline_later(local_hub, bundled_root, monkeypatch):
    load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, source = load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    assert source.kind == "cache" and model.linear.out_features == 4


def test_pickle_only_hub_repo_is_never_loaded(local_hub, tmp_path):
    TinyNet(width=6).save_pretrained(tmp_path / "twins" / "pickle-net")
    model, source = load_pretrained(TinyNet, "manifold-lab/pickle-net", bundled_root=tmp_path / "twins")
    assert source.kind == "bundled" and model.linear.out_features == 6
    assert not list((tmp_path / "hf_cache").rglob("*.bin"))  # the pickle was not even downloaded


# -- errors that name their file, and overrides that say what they are --------------------------------

def override_folder(bundled_root, tmp_path, monkeypatch, name="broken"):
    folder = tmp_path / name
    import shutil

    shutil.copytree(bundled_root / "tiny-net", folder)
    monkeypatch.setenv(override_variable("tiny-net"), str(folder))
    return folder


@pytest.mark.parametrize("config, message", [
    ('{"width": "five"}', r"config.json: width must be int, got \"five\""),
    ('{"width": 5, "depth": 2}', "TinyNet takes no argument 'depth'"),
    ("{not json", "config.json is not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
])
def test_a_bad_config_names_its_file_and_the_field(bundled_root, tmp_path, monkeypatch, config, message):
    folder = override_folder(bundled_root, tmp_path, monkeypatch)
    (folder / "config.json").write_text(config)
    with pytest.raises(WeightsNotFoundError, match=message) as caught:
        load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)
    assert str(folder) in str(caught.value)


def test_a_corrupt_safetensors_file_is_named(bundled_root, tmp_path, monkeypatch):
    folder = override_folder(bundled_root, tmp_path, monkeypatch)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(WeightsNotFoundError, match="model.safetensors is not a readable safetensors file"):
        load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)


@pytest.mark.parametrize("value, message", [
    ("./outputs/tiny/final", "no such folder"),
    ("outputs/tiny/final", "no such folder"),  # a mistyped folder is not taken for a Hub repo id
    ("not a repo", "neither a folder here nor a Hub repo id"),
])
def test_an_override_that_is_no_folder_and_no_repo_id_is_an_error(bundled_root, monkeypatch, value, message):
    monkeypatch.setenv(override_variable("tiny-net"), value)
    with pytest.raises(WeightsNotFoundError, match=message):
        load_pretrained(TinyNet, "manifold-lab/tiny-net", bundled_root=bundled_root)


def test_every_released_model_loads_through_the_checked_path(served_spaces):
    """Each Space loads its models at start; a config that failed the type check would leave it unmounted."""
    import urllib.request

    with urllib.request.urlopen(f"{served_spaces.url}/healthz") as response:
        health = json.loads(response.read())
    assert health["failed"] == {} and len(health["spaces"]) == len(served_spaces.spaces)


def test_the_weights_note_is_one_line_with_the_reason_folded_away(tmp_path):
    from core.common.display import weights_note
    from core.hub import WeightSource

    offline = {"autoencoder": WeightSource("bundled", "manifold-lab/digits-autoencoder", tmp_path, None,
                                          "HF_HUB_OFFLINE is set"),
               "VAE": WeightSource("bundled", "manifold-lab/digits-vae", tmp_path, None, "HF_HUB_OFFLINE is set")}
    note = weights_note(offline)
    summary = note[note.index("<summary>"):note.index("</summary>")]
    assert note.startswith("<details") and "\n" not in note
    assert "autoencoder: <code>digits-autoencoder</code> (bundled demo)" in summary and "VAE" in summary
    assert "HF_HUB_OFFLINE" not in summary and note.count("HF_HUB_OFFLINE is set") == 1  # once, folded

    online = weights_note({"": WeightSource("hub", "someone/digits-vae", tmp_path, "abc123", None)})
    assert "<details" not in online and 'href="https://huggingface.co/someone/digits-vae"' in online
    assert "(Hub)" in online
