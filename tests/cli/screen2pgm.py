"""Render a terminal screen captured by `tmux capture-pane -e -p` to a PGM image.

usage: screen2pgm.py THEME COLS ROWS < capture > image.pgm
THEME is dark (light text on black) or light (black text on white): the
colours of cells that set none. Each character cell is S pixels wide and
2*S high, so a half block (U+2580 upper, U+2584 lower, U+2588 full) is
an S x S square, as in a terminal font. Other glyphs are drawn as a blob
in their foreground colour: text is not blank on a real screen either.
Colours: SGR 30-37/40-47/90-97/100-107, 38;5;N/48;5;N, 38;2;R;G;B/48;2;...,
39/49 (default), 7/27 (reverse), 0 (reset).
"""
import re
import sys
import unicodedata

S = 4
THEMES = {"dark": ((229, 229, 229), (0, 0, 0)), "light": ((0, 0, 0), (255, 255, 255))}
BASE16 = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
          (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
          (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
HALF = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESC = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z])")


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    g = 8 + 10 * (n - 232)
    return (g, g, g)


class Pen:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None  # None: the theme's default
        self.bg = None
        self.reverse = False

    def sgr(self, params):
        p = [int(x) if x else 0 for x in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(p):
            c = p[i]
            if c == 0:
                self.reset()
            elif c == 7:
                self.reverse = True
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(p):
                if p[i + 1] == 5 and i + 2 < len(p):
                    col = xterm256(p[i + 2])
                    i += 2
                elif p[i + 1] == 2 and i + 4 < len(p):
                    col = tuple(p[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                    i += 1
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
            i += 1

    def colours(self, theme):
        fg = self.fg if self.fg is not None else theme[0]
        bg = self.bg if self.bg is not None else theme[1]
        return (bg, fg) if self.reverse else (fg, bg)


def grey(rgb):
    r, g, b = rgb
    return int(0.299 * r + 0.587 * g + 0.114 * b)


def parse_line(line, pen, theme, cols):
    """The cells of one screen row: (top, bottom, glyph) grey levels."""
    cells = []
    pos = 0
    while pos < len(line) and len(cells) < cols:
        if line[pos] == "\x1b":
            m = SGR.match(line, pos)
            if m:
                pen.sgr(m.group(1))
                pos = m.end()
                continue
            m = OTHER_ESC.match(line, pos)
            pos = m.end() if m else pos + 1
            continue
        ch = line[pos]
        pos += 1
        if unicodedata.combining(ch) or ord(ch) < 32:
            continue
        fg, bg = (grey(c) for c in pen.colours(theme))
        if ch in HALF:
            top, bottom = HALF[ch]
            cells.append((fg if top else bg, fg if bottom else bg, None))
        else:
            cells.append((bg, bg, fg))
        if unicodedata.east_asian_width(ch) in "WF":
            cells.append((bg, bg, None))
    # the rest of the row is blank in the default background (tmux trims it)
    blank = grey(Pen().colours(theme)[1])
    cells += [(blank, blank, None)] * (cols - len(cells))
    return cells


def render(text, theme, cols, rows):
    pen = Pen()
    lines = text.split("\n")[:rows]
    lines += [""] * (rows - len(lines))
    pixels = bytearray()
    for line in lines:
        cells = parse_line(line, pen, theme, cols)
        for py in range(2 * S):
            for top, bottom, glyph in cells:
                level = top if py < S else bottom
                if glyph is not None and 1 <= py < 2 * S - 1:
                    pixels += bytes([level] + [glyph] * (S - 2) + [level])
                else:
                    pixels += bytes([level] * S)
    header = b"P5\n%d %d\n255\n" % (cols * S, rows * 2 * S)
    return header + bytes(pixels)


def main():
    theme = THEMES[sys.argv[1]]
    cols, rows = int(sys.argv[2]), int(sys.argv[3])
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    sys.stdout.buffer.write(render(text, theme, cols, rows))


if __name__ == "__main__":
    main()
