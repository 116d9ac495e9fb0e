"""A tiny raster canvas for figures without Qt or an image library: lines, rectangles, 5×7 text, PNG.

Enough to draw curves with axes, ticks and a legend for ``rnnviz runs compare --out x.png`` on a
machine without a screen; the SVG of the same figure is the sharper one.
"""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np

#: Each glyph: 7 rows of 5 pixels, the leftmost the highest of 5 bits, as 14 hex digits.
_FONT_HEX = {
    " ": "00000000000000", "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F",
    "3": "1F02040201110E", "4": "02060A121F0202", "5": "1F101E0101110E", "6": "0608101E11110E",
    "7": "1F010204080808", "8": "0E11110E11110E", "9": "0E11110F01020C",
    "A": "0E1111111F1111", "B": "1E11111E11111E", "C": "0E11101010110E", "D": "1C12111111121C",
    "E": "1F10101E10101F", "F": "1F10101E101010", "G": "0E11101711110F", "H": "1111111F111111",
    "I": "0E04040404040E", "J": "0702020202120C", "K": "11121418141211", "L": "1010101010101F",
    "M": "111B1515111111", "N": "11111915131111", "O": "0E11111111110E", "P": "1E11111E101010",
    "Q": "0E11111115120D", "R": "1E11111E141211", "S": "0F10100E01011E", "T": "1F040404040404",
    "U": "1111111111110E", "V": "11111111110A04", "W": "1111111515150A", "X": "11110A040A1111",
    "Y": "1111110A040404", "Z": "1F01020408101F",
    "a": "00000E010F110F", "b": "1010161911111E", "c": "00000E1010110E", "d": "01010D1311110F",
    "e": "00000E111F100E", "f": "0609081C080808", "g": "000F11110F010E", "h": "10101619111111",
    "i": "04000C0404040E", "j": "0200060202120C", "k": "10101214181412", "l": "0C04040404040E",
    "m": "00001A15151111", "n": "00001619111111", "o": "00000E1111110E", "p": "00001E111E1010",
    "q": "00000D130F0101", "r": "00001619101010", "s": "00000E100E011E", "t": "08081C08080906",
    "u": "0000111111130D", "v": "00001111110A04", "w": "0000111115150A",
    "x": "0000110A040A11", "y": "000011110F010E", "z": "00001F0204081F",
    ".": "00000000000C0C", ",": "000000000C0408", "-": "0000001F000000", "–": "0000001F000000",
    "_": "0000000000001F", ":": "000C0C000C0C00", "(": "02040808080402", ")": "08040202020408",
    "/": "00010204081000", "%": "18190204081303", "+": "0004041F040400", "=": "00001F001F0000",
    "'": "0C040800000000", "!": "04040404040004", "?": "0E110102040004", "×": "00110A040A1100",
    "·": "0000000C0C0000", "#": "0A0A1F0A1F0A0A", "[": "0E08080808080E", "]": "0E02020202020E",
    "<": "02040810080402", ">": "08040201020408", "*": "0004150E150400", "…": "00000000001500",
    "—": "0000001F000000", "ε": "00000E100E100E", "θ": "0E11111F11110E", "α": "00000D1212120D",
}
_UNKNOWN = "1F11111111111F"
GLYPH_W, GLYPH_H = 5, 7


def _glyph(char: str) -> np.ndarray:
    """(7, 5) booleans of one character."""
    code = _FONT_HEX.get(char, _UNKNOWN)
    rows = [int(code[i:i + 2], 16) for i in range(0, 14, 2)]
    return np.array([[(row >> (4 - col)) & 1 for col in range(5)] for row in rows], dtype=bool)


def parse_color(color: str) -> tuple[int, int, int]:
    """"#1f77b4" -> (31, 119, 180)."""
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


class Canvas:
    """An RGB image (height, width, 3) on white, drawn in pixel coordinates (x right, y down)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = np.full((height, width, 3), 255, dtype=np.uint8)  # (H, W, 3)

    def _dot(self, x: float, y: float, color: tuple[int, int, int], width: int) -> None:
        x0, y0 = int(round(x - (width - 1) / 2)), int(round(y - (width - 1) / 2))
        x1, y1 = max(x0, 0), max(y0, 0)
        x2, y2 = min(x0 + width, self.width), min(y0 + width, self.height)
        if x1 < x2 and y1 < y2:
            self.pixels[y1:y2, x1:x2] = color

    def line(self, x0: float, y0: float, x1: float, y1: float, color: str, width: int = 1,
             dash: tuple[float, float] | None = None, phase: float = 0.0) -> float:
        """A straight line; ``dash`` (on, off) in pixels, starting ``phase`` pixels into the pattern.
        Returns the phase at its end, so that a polyline's dashes run on across its segments."""
        rgb = parse_color(color)
        length = math.hypot(x1 - x0, y1 - y0)
        steps = max(1, int(length * 2))  # two samples a pixel: no gaps at any angle
        period = (dash[0] + dash[1]) if dash else 0.0
        for i in range(steps + 1):
            t = i / steps
            if dash and (phase + t * length) % period >= dash[0]:
                continue
            self._dot(x0 + t * (x1 - x0), y0 + t * (y1 - y0), rgb, width)
        return phase + length

    def polyline(self, points: list[tuple[float, float]], color: str, width: int = 2,
                 dash: tuple[float, float] | None = None) -> None:
        phase = 0.0
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            phase = self.line(x0, y0, x1, y1, color, width, dash, phase)
        if len(points) == 1:
            self._dot(points[0][0], points[0][1], parse_color(color), width + 2)

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        rgb = parse_color(color)
        x1, y1 = max(int(x), 0), max(int(y), 0)
        x2, y2 = min(int(x + w), self.width), min(int(y + h), self.height)
        if x1 < x2 and y1 < y2:
            self.pixels[y1:y2, x1:x2] = rgb

    def text_width(self, text: str, scale: int = 2) -> int:
        return len(text) * (GLYPH_W + 1) * scale

    def text(self, x: float, y: float, text: str, color: str = "#000000", scale: int = 2,
             anchor: str = "start", vertical: bool = False) -> None:
        """``text`` with its baseline's left end (``anchor`` "start"), centre ("middle") or right end
        ("end") at (x, y); ``vertical``: read bottom to top, (x, y) then the baseline's middle."""
        rgb = np.array(parse_color(color), dtype=np.uint8)
        if not text:
            return
        glyphs = np.concatenate([np.pad(_glyph(c), ((0, 0), (0, 1))) for c in text], axis=1)  # (7, 6n)
        bitmap = np.kron(glyphs, np.ones((scale, scale), dtype=bool))  # (7s, 6ns)
        if vertical:
            bitmap = np.rot90(bitmap)
            h, w = bitmap.shape
            left, top = int(x - w), int(y - h / 2)
        else:
            h, w = bitmap.shape
            shift = {"start": 0, "middle": w / 2, "end": w}[anchor]
            left, top = int(x - shift), int(y - h)
        x1, y1 = max(left, 0), max(top, 0)
        x2, y2 = min(left + w, self.width), min(top + h, self.height)
        if x1 < x2 and y1 < y2:
            region = bitmap[y1 - top:y2 - top, x1 - left:x2 - left]
            self.pixels[y1:y2, x1:x2][region] = rgb

    def png(self) -> bytes:
        """The image as PNG bytes (8-bit RGB, no interlace)."""
        raw = np.concatenate([np.zeros((self.height, 1), dtype=np.uint8),  # filter type 0 per row
                              self.pixels.reshape(self.height, self.width * 3)], axis=1)

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
                + chunk(b"IEND", b""))
