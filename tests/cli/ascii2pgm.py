"""Render an ASCII QR code (pam_otp's prompt style) to a PGM image.

usage: ascii2pgm.py < text > image.pgm

The text may be a whole captured session (an ssh client's output, a
prompt): every '#' is a dark cell 4 pixels wide and 8 high, so "##" (one
module) is an 8x8 square, as two characters of a terminal font; every other
character, and the end of a short line, is a light cell. Escape sequences
(CSI, OSC, charset selection) and carriage returns are dropped first, and
the last carriage return of a line wins, as on a terminal. A light margin
of 8 modules is added around it all, so the 2-module quiet zone of the
prompt's code is not the only light border a reader gets. Read the result
with `zbarimg -q --raw image.pgm`.
"""
import re
import sys

W, H = 4, 8
MARGIN = 16  # character cells: 8 modules across, 16 lines down and up
ESC = re.compile(r"\x1b(\[[0-9;:?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)")


def clean(line):
    """A line as a terminal shows it: escapes dropped, text after the
    last carriage return over the text before it."""
    line = ESC.sub("", line)
    parts = line.split("\r")
    shown = ""
    for part in parts:
        shown = part + shown[len(part):]
    return shown


def render(text):
    lines = [clean(line) for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    cols = max((len(line) for line in lines), default=0) + 2 * MARGIN
    rows = len(lines) + 2 * (MARGIN // 2)
    blank = bytes([255]) * (cols * W)
    out = bytearray()
    for _ in range(MARGIN // 2 * H):
        out += blank
    for line in lines:
        row = bytearray()
        row += bytes([255]) * (MARGIN * W)
        for ch in line:
            row += bytes([0 if ch == "#" else 255]) * W
        row += bytes([255]) * ((cols - MARGIN - len(line)) * W)
        out += bytes(row) * H
    for _ in range(MARGIN // 2 * H):
        out += blank
    return b"P5\n%d %d\n255\n" % (cols * W, rows * H) + bytes(out)


def main():
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    sys.stdout.buffer.write(render(text))


if __name__ == "__main__":
    main()
