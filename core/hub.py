"""Weights: the Hub first, the bundled demo twin offline, one `from_pretrained` path for both.

`load_pretrained(ModelClass, "manifold-lab/digits-autoencoder")` tries, in order: a local folder
or other repo named by the override variable (`MANIFOLD_WEIGHTS_DIGITS_AUTOENCODER`), the Hub (or
its local cache when the Hub cannot be reached), then `core/bundled_weights/digits-autoencoder/`
(the bundled twin is named after the repo). A course published under another namespace
(`python -m spaces.publish --namespace ORG`) reads `manifold-lab/<name>` as `ORG/<name>`: the namespace
comes from `MANIFOLD_NAMESPACE` or the `deployment.json` the publisher writes beside this file. Whatever it finds is a folder
in Hub layout (config.json, model.safetensors, README.md) handed to `ModelClass.from_pretrained`.
Only safetensors are ever read: a folder or repo that offers only a pickle (`.bin`, `.pt`) is refused.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import re
import threading
import time
import types
import typing
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open

from core.common.log import log

BUNDLED_ROOT = Path(__file__).resolve().parent / "bundled_weights"
WEIGHTS_FILE = "model.safetensors"
DIFFUSERS_WEIGHTS = "unet/diffusion_pytorch_model.safetensors"  # a DDPM release in diffusers' pipeline layout
CONFIG_FILE = "config.json"
CARD_FILE = "README.md"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
REACHABILITY_TIMEOUT_S = 1.5
HOME_NAMESPACE = "manifold-lab"  # the namespace the code names; a deployment may publish under another
DEPLOYMENT_FILE = Path(__file__).resolve().parent / "deployment.json"
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?")


class PickleRefusedError(RuntimeError):
    """A weight source offers only pickled weights, which can run code on load: we never read them."""


class WeightsNotFoundError(RuntimeError):
    """Neither the Hub, the cache nor the bundled folder had usable weights."""


@dataclass(frozen=True)
class WeightSource:
    """Where a model's weights came from, for the UI and the logs."""

    kind: str  # "hub", "cache", "local" or "bundled"
    repo_id: str
    path: Path
    revision: str | None = None
    reason: str | None = None  # why the Hub was not used, when it was not

    @property
    def is_fallback(self) -> bool:
        return self.kind == "bundled"

    def markdown(self) -> str:
        """One line for a Space: what weights are running, and why."""
        if self.kind == "hub":
            rev = f" @ `{self.revision[:10]}`" if self.revision else ""
            return f"Weights: [`{self.repo_id}`](https://huggingface.co/{self.repo_id}){rev} from the Hugging Face Hub."
        if self.kind == "cache":
            return f"Weights: `{self.repo_id}` from the local Hub cache (the Hub was not reachable: {self.reason})."
        if self.kind == "local":
            return f"Weights: local folder `{self.path}`."
        return (
            f"**Offline demo weights**: the Hub repo `{self.repo_id}` could not be used ({self.reason}), "
            f"so this app runs the small demo model bundled with it (`{self.path.name}`; see its model card)."
        )


NAMESPACE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?", re.ASCII)


def valid_namespace(name: str) -> bool:
    """A Hub user or organisation name: ASCII letters, digits, '-', '_', '.', at most 96, no '..'."""
    return bool(NAMESPACE.fullmatch(name)) and ".." not in name


def deployment() -> dict:
    """What `spaces.publish` wrote into a deployed Space ({"namespace", "collection", ...}), or {} here.

    A broken file is one log line and ignored: the Space then loads `manifold-lab/...` (and its bundled twins)."""
    try:
        data = json.loads(DEPLOYMENT_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("ignoring %s: %s", DEPLOYMENT_FILE, error)
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("namespace", ""), str):
        log.warning("ignoring %s: not an object with a string namespace", DEPLOYMENT_FILE)
        return {}
    return data


def namespaced(repo_id: str) -> str:
    """`manifold-lab/<name>` under the deployment's namespace (MANIFOLD_NAMESPACE, else deployment.json)."""
    namespace = os.environ.get("MANIFOLD_NAMESPACE", "").strip() or deployment().get("namespace")
    owner, _, name = repo_id.partition("/")
    if namespace and owner == HOME_NAMESPACE:
        if not valid_namespace(namespace):
            raise WeightsNotFoundError(f"namespace {namespace!r} is not a Hub user or organisation name")
        return f"{namespace}/{name}"
    return repo_id


def override_variable(bundled: str) -> str:
    """The environment variable that overrides a model's repo: `digits-ae` -> `MANIFOLD_WEIGHTS_DIGITS_AE`."""
    return "MANIFOLD_WEIGHTS_" + re.sub(r"[^0-9A-Za-z]+", "_", bundled).upper()


def hub_is_offline() -> bool:
    """True when HF_HUB_OFFLINE is set now (read live, unlike huggingface_hub's import-time constant)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


_reachable_cache: dict[str, tuple[float, bool]] = {}


def hub_is_reachable(endpoint: str | None = None, timeout: float = REACHABILITY_TIMEOUT_S) -> bool:
    """Does the Hub endpoint answer HTTP? Decided within `timeout`, cached for a minute.

    huggingface_hub retries an unreachable Hub for ~20 s per file; one bounded probe per process lets
    every Space start in well under a second offline.
    """
    if hub_is_offline():
        return False
    if endpoint is None:
        from huggingface_hub import constants

        endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    cached = _reachable_cache.get(endpoint)
    if cached and time.monotonic() - cached[0] < 60:
        return cached[1]
    result: list[bool] = []

    def probe():  # DNS ignores socket timeouts, so the whole probe runs under a join deadline
        request = urllib.request.Request(endpoint.rstrip("/") + "/api/models?limit=1", method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                result.append(True)
        except urllib.error.HTTPError:  # any HTTP answer means a server is there
            result.append(True)
        except (OSError, ValueError):
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    reachable = bool(result and result[0])
    _reachable_cache[endpoint] = (time.monotonic(), reachable)
    return reachable


def check_safetensors_folder(folder: Path) -> None:
    """Raise unless `folder` holds config.json and model.safetensors (or diffusers' unet/ safetensors); refuse
    pickle-only folders."""
    if not (folder / WEIGHTS_FILE).is_file() and not (folder / DIFFUSERS_WEIGHTS).is_file():
        pickles = sorted(p.name for p in folder.glob("*") if p.suffix in PICKLE_SUFFIXES)
        if pickles:
            raise PickleRefusedError(
                f"{folder} has only pickled weights ({', '.join(pickles)}); manifold-lab loads "
                f"safetensors only. Convert with `save_pretrained` to get {WEIGHTS_FILE}."
            )
        raise WeightsNotFoundError(f"{folder} has no {WEIGHTS_FILE}.")
    if not (folder / CONFIG_FILE).is_file():
        raise WeightsNotFoundError(f"{folder} has no {CONFIG_FILE}; weights without their config are not loaded.")


def download_snapshot(repo_id: str, revision: str | None, local_only: bool) -> tuple[Path, str | None]:
    """Fetch config + safetensors (+ card) of a Hub repo into the HF cache; return (folder, commit).

    Only those three files are asked for (`allow_patterns`): a pickle in the repo is never downloaded."""
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(repo_id, revision=revision, local_files_only=local_only, etag_timeout=5,
                                    allow_patterns=[CONFIG_FILE, WEIGHTS_FILE, CARD_FILE, DIFFUSERS_WEIGHTS,
                                                    "unet/config.json", "scheduler/*.json", "model_index.json"]))
    if not (folder / WEIGHTS_FILE).is_file() and not (folder / DIFFUSERS_WEIGHTS).is_file():
        raise PickleRefusedError(
            f"{repo_id} has no {WEIGHTS_FILE} (maybe only a pickle); manifold-lab loads safetensors only.")
    return folder, folder.name  # snapshot folders are named by commit hash


def _load_folder(model_cls, folder: Path):
    """`model_cls.from_pretrained(folder)`, with every failure named by its file and said plainly."""
    check_safetensors_folder(folder)
    config_file = folder / CONFIG_FILE
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightsNotFoundError(f"{config_file} is not valid JSON: {error}") from error
    check_config(model_cls, config, config_file)
    weights = folder / WEIGHTS_FILE if (folder / WEIGHTS_FILE).is_file() else folder / DIFFUSERS_WEIGHTS
    try:
        with safe_open(weights, framework="pt"):
            pass  # the header is readable: a truncated or foreign file fails here, named
    except Exception as error:  # safetensors raises its own SafetensorError, and OSError
        raise WeightsNotFoundError(f"{weights} is not a readable safetensors file: {error}") from error
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # huggingface_hub prints a line for every local load
            model = model_cls.from_pretrained(folder, strict=True)
    except (RuntimeError, ValueError, TypeError, KeyError) as error:  # missing keys, wrong shapes
        raise WeightsNotFoundError(f"{folder} does not fit {model_cls.__name__}: {' '.join(str(error).split())[:400]}") from error
    return model.eval()


def check_config(model_cls, config: dict, config_file: Path) -> None:
    """Every key of config.json is a keyword argument of the model, with a value of its annotated type."""
    if not isinstance(config, dict):
        raise WeightsNotFoundError(f"{config_file} must hold a JSON object of keyword arguments.")
    hints = typing.get_type_hints(model_cls.__init__)
    parameters = inspect.signature(model_cls.__init__).parameters
    for key, value in config.items():
        if key not in parameters:
            raise WeightsNotFoundError(f"{config_file}: {model_cls.__name__} takes no argument {key!r}.")
        if key in hints and not _fits(value, hints[key]):
            raise WeightsNotFoundError(
                f"{config_file}: {key} must be {_type_name(hints[key])}, got {json.dumps(value)[:80]}.")


def _fits(value, hint) -> bool:
    """JSON value against a simple annotation (int, float, bool, str, tuple/list of them, Optional)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (tuple, list):
        if not isinstance(value, list):
            return False
        item = args[0] if args else typing.Any
        return all(_fits(v, item) for v in value) if item is not typing.Any else True
    return True  # an annotation we do not check (e.g. a dict)


def _type_name(hint) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def parse_override(name: str, value: str) -> tuple[str, str | None] | Path:
    """An override's value: a local folder (it must exist) or a Hub repo id with an optional @revision."""
    variable = override_variable(name)
    looks_local = value.startswith(("/", ".", "~")) or value.partition("@")[0].count("/") > 1 or "\\" in value
    if Path(value).expanduser().is_dir():
        return Path(value).expanduser().resolve()
    if looks_local:
        raise WeightsNotFoundError(f"{variable}={value!r}: no such folder (a trainer writes one, e.g. outputs/<run>/final).")
    if not HUB_ID.fullmatch(value):
        raise WeightsNotFoundError(f"{variable}={value!r} is neither a folder here nor a Hub repo id (user/name[@revision]).")
    repo_id, _, revision = value.partition("@")
    return repo_id, revision or None


def load_pretrained(model_cls, repo_id: str, **options) -> tuple[torch.nn.Module, WeightSource]:
    """Load `model_cls` weights from the Hub, else the HF cache, else the bundled demo folder.

    The environment variable `override_variable(bundled)` replaces `repo_id` with another repo id
    (`user/name` or `user/name@revision`) or a local folder. `bundled` names the offline twin under
    `bundled_root` (default: the repo's name). Returns (model in eval mode, source); logs one line.
    """
    model, source = _resolve_and_load(model_cls, repo_id, **options)
    where = source.path if source.kind == "local" else source.repo_id
    log.info("weights %s: %s (%s)", model_cls.__name__, where, source.kind)
    return model, source


def _resolve_and_load(
    model_cls,
    repo_id: str,
    *,
    revision: str | None = None,
    bundled: str | None = None,
    bundled_root: Path = BUNDLED_ROOT,
) -> tuple[torch.nn.Module, WeightSource]:
    bundled = bundled or repo_id.rsplit("/", 1)[-1]
    repo_id = namespaced(repo_id)
    override = os.environ.get(override_variable(bundled), "").strip()
    if override:
        target = parse_override(bundled, override)
        if isinstance(target, Path):
            return _load_folder(model_cls, target), WeightSource("local", str(target), target)
        repo_id, revision = target[0], target[1] or revision

    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    online = hub_is_reachable()
    reason = "HF_HUB_OFFLINE is set" if hub_is_offline() else "the Hub is not reachable"
    try:
        folder, commit = download_snapshot(repo_id, revision, local_only=not online)
        kind = "hub" if online else "cache"
        return _load_folder(model_cls, folder), WeightSource(kind, repo_id, folder, commit, None if online else reason)
    except PickleRefusedError as error:
        reason = str(error)
    except LocalEntryNotFoundError:
        reason = f"{reason} and it is not in the local cache" if not online else "download failed"
    except RepositoryNotFoundError:
        reason = f"repo {repo_id} was not found (or is private)"
    except (HfHubHTTPError, OSError, ValueError) as error:
        reason = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"

    folder = bundled_root / bundled
    if not folder.is_dir():
        raise WeightsNotFoundError(f"Could not load {repo_id} ({reason}) and there is no bundled folder {folder}.")
    return _load_folder(model_cls, folder), WeightSource("bundled", repo_id, folder, None, reason)
