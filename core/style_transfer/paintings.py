"""Public-domain paintings from GCompris' "paintings" puzzle (Debian package `gcompris-qt-data`).

GCompris ships each painting cut into jigsaw pieces inside a Qt resource file (`rcc/paintings.rcc`), with one
board file per painting naming its title and where each piece sits. We read the resource file, put the pieces
back together and crop the painting out of the board. The paintings themselves are in the public domain (their
painters died more than 70 years ago); the reproductions come from Nicolas Pioch's WebMuseum and GCompris
distributes them under GPL-3.0-or-later (its `image/README`).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from io import BytesIO

from PIL import Image

BOARDS = "gcompris/src/activities/paintings/resource/"


def read_qt_resources(data: bytes) -> dict[str, bytes]:
    """A compiled Qt resource file (`.rcc`, format 1-3) -> {path: file bytes}."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt resource file (no 'qres' header)")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    entry = 22 if version >= 2 else 14  # version 2 added a last-modified time to each entry

    def name_at(offset: int) -> str:
        length = struct.unpack(">H", data[names + offset:names + offset + 2])[0]
        return data[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")  # after a 4-byte hash

    files: dict[str, bytes] = {}

    def walk(index: int, path: str) -> None:
        base = tree + index * entry
        name_offset, flags = struct.unpack(">IH", data[base:base + 6])
        full = f"{path}/{name_at(name_offset)}".lstrip("/") if index else ""
        if flags & 2:  # a directory: its children are consecutive entries
            count, first = struct.unpack(">II", data[base + 6:base + 14])
            for child in range(first, first + count):
                walk(child, full)
            return
        offset = struct.unpack(">I", data[base + 10:base + 14])[0]
        size = struct.unpack(">I", data[payload + offset:payload + offset + 4])[0]
        blob = data[payload + offset + 4:payload + offset + 4 + size]
        if flags & 1:  # zlib, after a 4-byte length
            blob = zlib.decompress(blob[4:])
        elif flags & 4:
            raise ValueError(f"{full}: zstd-compressed resources are not supported")
        files[full] = blob

    walk(0, "")
    return files


@dataclass
class Painting:
    title: str  # as GCompris gives it: "Painter, Title - year"
    image: Image.Image  # RGB

    @property
    def painter(self) -> str:
        return self.title.split(",")[0].strip()


def assemble(board: str, files: dict[str, bytes]) -> Painting:
    """One board file (QML) and the resource files -> the painting, its pieces put back in place."""
    title = re.search(r'qsTr\("(.*?)"\)', board).group(1)
    width = int(re.search(r'"width"\s*:\s*(\d+)', board).group(1))
    height = int(re.search(r'"height"\s*:\s*(\d+)', board).group(1))
    canvas = Image.new("RGBA", (width, height))
    for name, x, y in re.findall(r'"pixmapfile"\s*:\s*"(image/[^"]+)",\s*"x"\s*:\s*"([\d.]+)",\s*"y"\s*:\s*"([\d.]+)"',
                                 board):
        piece = Image.open(BytesIO(files[BOARDS + name])).convert("RGBA")
        centre_x, centre_y = float(x) * width, float(y) * height  # a piece's position is its centre
        canvas.alpha_composite(piece, (round(centre_x - piece.width / 2), round(centre_y - piece.height / 2)))
    box = canvas.getchannel("A").point(lambda a: 255 if a > 250 else 0).getbbox()  # the painting, not the board
    return Painting(title, canvas.crop(box).convert("RGB"))


def paintings(resource_file: bytes) -> list[Painting]:
    """Every painting in GCompris' paintings.rcc, in board order."""
    files = read_qt_resources(resource_file)
    boards = sorted((path for path in files if re.fullmatch(re.escape(BOARDS) + r"board/board\d+_0\.qml", path)),
                    key=lambda path: int(re.search(r"board(\d+)_0", path).group(1)))
    return [assemble(files[path].decode("utf-8"), files) for path in boards]
