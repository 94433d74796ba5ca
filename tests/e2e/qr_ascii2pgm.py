"""Render an ASCII QR code ("##" a dark module, two spaces a light one, a
text line per module row) to a PGM image for zbarimg, or check its shape.

usage: qr_ascii2pgm.py [--check] < qr.txt > qr.pgm
Each character is 4 pixels wide and 8 high, so a module is an 8 x 8
square, as on a terminal with a common font. Nothing is added around the
lines: the quiet zone must be in the text itself, as a phone sees it.
--check prints "version V, error correction E, quiet zone Q" instead,
having checked what a phone relies on: every line only "##" and "  "
pairs, all of one width, as many lines as modules a line, a symbol size
17 + 4V, a quiet zone of the same width on every side and a format
information that is a valid code word. Exit status 1, with the reason on
stderr, when the text is not such a symbol.
"""
import sys

CHAR_W, CHAR_H = 4, 8
# The format information: 5 data bits (error correction level, mask)
# with 10 BCH bits (generator 0x537), masked with 0x5412 (ISO/IEC 18004).
LEVELS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}


def format_words():
    words = {}
    for data in range(32):
        rem = data << 10
        for bit in range(14, 9, -1):
            if rem & (1 << bit):
                rem ^= 0x537 << (bit - 10)
        words[((data << 10) | rem) ^ 0x5412] = data
    return words


def modules(lines):
    """The module rows (1 dark, 0 light); raises ValueError with the reason."""
    if not lines:
        raise ValueError("no lines")
    width = len(lines[0])
    if width == 0 or width % 2:
        raise ValueError("a line of %d characters: not two per module" % width)
    rows = []
    for n, line in enumerate(lines, 1):
        if len(line) != width:
            raise ValueError("line %d is %d characters wide, line 1 %d" % (n, len(line), width))
        row = []
        for i in range(0, width, 2):
            pair = line[i:i + 2]
            if pair not in ("##", "  "):
                raise ValueError("line %d, column %d: %r is no module" % (n, i + 1, pair))
            row.append(1 if pair == "##" else 0)
        rows.append(row)
    if len(rows) != width // 2:
        raise ValueError("%d lines of %d modules: not square" % (len(rows), width // 2))
    return rows


def quiet_zone(rows):
    n = len(rows)
    q = 0
    while q < n // 2 and not any(rows[q]) and not any(rows[n - 1 - q]) and \
            not any(r[q] or r[n - 1 - q] for r in rows):
        q += 1
    return q


def format_info(sym):
    """(level, mask) from both copies of the format information."""
    n = len(sym)

    def bits(cells):
        v = 0
        for y, x in cells:
            v = (v << 1) | sym[y][x]
        return v
    first = [(8, x) for x in range(6)] + [(8, 7), (8, 8), (7, 8)] + \
        [(y, 8) for y in range(5, -1, -1)]
    second = [(y, 8) for y in range(n - 1, n - 8, -1)] + [(8, x) for x in range(n - 8, n)]
    words = format_words()
    got = [words.get(bits(first)), words.get(bits(second))]
    if got[0] is None or got[0] != got[1]:
        raise ValueError("no valid format information (%s)" % got)
    return LEVELS[got[0] >> 3], got[0] & 7


def check(rows):
    q = quiet_zone(rows)
    sym = [r[q:len(r) - q] for r in rows[q:len(rows) - q]]
    size = len(sym)
    if size < 21 or (size - 17) % 4:
        raise ValueError("a symbol of %d modules (quiet zone %d): no QR version" % (size, q))
    level, _ = format_info(sym)
    return "version %d, error correction %s, quiet zone %d" % ((size - 17) // 4, level, q)


def pgm(rows):
    out = bytearray()
    for row in rows:
        line = bytearray()
        for dark in row:
            line += bytes([0 if dark else 255]) * (2 * CHAR_W)
        out += bytes(line) * CHAR_H
    return b"P5\n%d %d\n255\n" % (len(rows[0]) * 2 * CHAR_W, len(rows) * CHAR_H) + bytes(out)


def main():
    text = sys.stdin.buffer.read().decode("utf-8", "replace").replace("\r", "")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    try:
        rows = modules(lines)
        if sys.argv[1:] == ["--check"]:
            print(check(rows))
        else:
            sys.stdout.buffer.write(pgm(rows))
    except ValueError as e:
        print("qr_ascii2pgm: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
