"""Spaces register themselves by folder: `spaces/<name>/` with `app.py` and a README with front matter."""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SPACES_ROOT = Path(__file__).resolve().parent

# The order of the lecture; a folder not listed here still appears, after these, by name.
LECTURE_ORDER = [
    "pca", "image-manifold", "autoencoder", "denoising", "super-resolution", "style-transfer", "image-prediction", "colorization",
    "pix2pix", "gan", "which-face-is-real", "diffusion",
]
REQUIRED_FRONT_MATTER = ("title", "emoji", "sdk", "sdk_version", "app_file", "license", "short_description")


@dataclass(frozen=True)
class SpaceInfo:
    name: str
    folder: Path
    title: str
    emoji: str
    lecture_point: str  # the front matter's short_description
    models: list[str] = field(default_factory=list)
    front_matter: dict = field(default_factory=dict)

    @property
    def app_file(self) -> Path:
        return self.folder / self.front_matter.get("app_file", "app.py")

    @property
    def path(self) -> str:
        return f"/{self.name}"


def read_front_matter(readme: Path) -> dict:
    """The YAML block between the leading `---` lines of a Space README."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", readme.read_text(encoding="utf-8"), re.DOTALL)
    if not match:
        raise ValueError(f"{readme} has no front matter (a YAML block between '---' lines at the top)")
    data = yaml.safe_load(match.group(1)) or {}
    missing = [key for key in REQUIRED_FRONT_MATTER if key not in data]
    if missing:
        raise ValueError(f"{readme} front matter lacks {', '.join(missing)}")
    if data["sdk"] != "gradio":
        raise ValueError(f"{readme}: sdk must be 'gradio', got {data['sdk']!r}")
    return data


def discover(root: Path = SPACES_ROOT) -> list[SpaceInfo]:
    """Every folder under `root` holding app.py and README.md, in lecture order."""
    spaces = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        if not (folder / "app.py").is_file() or not (folder / "README.md").is_file():
            continue
        meta = read_front_matter(folder / "README.md")
        spaces.append(SpaceInfo(
            name=folder.name, folder=folder, title=str(meta["title"]), emoji=str(meta["emoji"]),
            lecture_point=str(meta["short_description"]), models=list(meta.get("models") or []), front_matter=meta,
        ))
    rank = {name: i for i, name in enumerate(LECTURE_ORDER)}
    return sorted(spaces, key=lambda s: (rank.get(s.name, len(rank)), s.name))


def load_app_module(space: SpaceInfo):
    """Import a Space's app.py (folder names may hold '-', so not through the package path).

    While it runs, the Space's folder is importable, as it is when the Space runs alone (`python app.py`), so
    an app can keep a part of its page in a module beside it; such modules are named after their Space
    (`gan_lab_tab.py`), since every Space shares one interpreter under the launcher."""
    module_name = "manifold_space_" + re.sub(r"\W", "_", space.name)
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, space.app_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(space.folder))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        sys.path.remove(str(space.folder))
    if not hasattr(module, "demo"):
        raise AttributeError(f"{space.app_file} defines no `demo` (a gr.Blocks)")
    return module
