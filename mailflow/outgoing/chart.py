"""A small grouped bar chart as PNG, written with zlib alone (no plotting library): two bars per
week, active mentorships and meetings, on a light grid. The digest shows the numbers beside it as
text."""
from __future__ import annotations

import struct
import zlib

WIDTH, HEIGHT = 560, 160
MARGIN = 8
BACKGROUND = (255, 255, 255)
GRID = (230, 232, 236)
AXIS = (150, 150, 150)
COLOURS = ((45, 106, 79), (244, 162, 97))  # active mentorships (green), meetings (orange)


def bar_chart_png(groups: list[tuple[int, ...]], width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """groups: per week a value per series. Each series is scaled on its own so both stay
    readable."""
    pixels = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]
    plot_height = height - 2 * MARGIN
    for fraction in (0.25, 0.5, 0.75, 1.0):
        _hline(pixels, height - MARGIN - int(plot_height * fraction), GRID)
    _hline(pixels, height - MARGIN, AXIS)
    if groups:
        tops = [max(max(g[s] for g in groups), 1) for s in range(len(groups[0]))]
        slot = (width - 2 * MARGIN) // len(groups)
        bar = max(2, (slot - 6) // max(1, len(tops)))
        for index, group in enumerate(groups):
            for series, value in enumerate(group):
                left = MARGIN + index * slot + 3 + series * bar
                bar_height = int(plot_height * value / tops[series])
                _box(pixels, left, height - MARGIN - bar_height, bar - 1, bar_height,
                     COLOURS[series % len(COLOURS)])
    return _png(pixels, width, height)


def _hline(pixels: list[bytearray], y: int, colour: tuple[int, int, int]) -> None:
    width = len(pixels[y]) // 3
    pixels[y][MARGIN * 3:len(pixels[y]) - MARGIN * 3] = bytes(colour) * (width - 2 * MARGIN)


def _box(pixels: list[bytearray], x: int, y: int, w: int, h: int,
         colour: tuple[int, int, int]) -> None:
    for row in range(max(0, y), y + h):
        pixels[row][x * 3:(x + w) * 3] = bytes(colour) * w


def _png(pixels: list[bytearray], width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)
