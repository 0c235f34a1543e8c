"""Training curves of the demo bundle as small SVG line charts (no plotting library needed).

usage: python tools/demo/plot_curves.py OUT_DIR NAME=PATH.tsv[:column,column] ...

Each TSV has a header "step<TAB>name..." (tools/demo/train_util.Curve). One SVG per argument,
OUT_DIR/NAME.svg, the columns smoothed with a moving average (window 1/50 of the run) and drawn on
a log-scaled y axis when they span more than a decade.
"""
import math
import os
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def read(path, cols):
    with open(path) as f:
        rows = [r.split("\t") for r in f.read().splitlines() if r]
    head, rows = rows[0], rows[1:]
    cols = cols or head[1:]
    idx = [head.index(c) for c in cols]
    steps = [float(r[0]) for r in rows]
    return steps, {c: [float(r[i]) for r in rows] for c, i in zip(cols, idx)}


def smooth(v, w):
    out, acc = [], 0.0
    for i, x in enumerate(v):
        acc += x
        if i >= w:
            acc -= v[i - w]
        out.append(acc / min(i + 1, w))
    return out


def svg(title, steps, series, path, W=480, H=260, pad=46):
    ys = [y for v in series.values() for y in v if y > 0]
    lo, hi = (min(ys), max(ys)) if ys else (1e-3, 1.0)
    logy = hi / max(lo, 1e-12) > 10
    f = (lambda y: math.log10(max(y, 1e-12))) if logy else (lambda y: y)
    a, b = f(lo), f(hi)
    if b - a < 1e-9:
        b = a + 1
    x0, x1 = steps[0], max(steps[-1], steps[0] + 1)

    def X(s):
        return pad + (W - pad - 10) * (s - x0) / (x1 - x0)

    def Y(y):
        return H - pad + 10 - (H - pad - 10) * (f(y) - a) / (b - a) if y > 0 or not logy else H - pad + 10

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 10}" font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H + 10}" fill="white"/>',
           f'<text x="{W / 2}" y="14" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{pad}" y1="{H - pad + 10}" x2="{W - 10}" y2="{H - pad + 10}" stroke="black"/>',
           f'<line x1="{pad}" y1="20" x2="{pad}" y2="{H - pad + 10}" stroke="black"/>',
           f'<text x="{W / 2}" y="{H + 2}" text-anchor="middle">step</text>']
    for k in range(5):
        v = a + (b - a) * k / 4
        lab = 10 ** v if logy else v
        out.append(f'<text x="{pad - 4}" y="{Y(10 ** v if logy else v) + 4:.1f}" text-anchor="end">{lab:.3g}</text>')
        s = x0 + (x1 - x0) * k / 4
        out.append(f'<text x="{X(s):.1f}" y="{H - pad + 24}" text-anchor="middle">{s:.0f}</text>')
    for j, (name, v) in enumerate(series.items()):
        pts = " ".join(f"{X(s):.1f},{Y(y):.1f}" for s, y in zip(steps, v))
        c = COLOURS[j % len(COLOURS)]
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{pts}"/>')
        out.append(f'<text x="{W - 14}" y="{32 + 14 * j}" text-anchor="end" fill="{c}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for arg in sys.argv[2:]:
        name, spec = arg.split("=", 1)
        path, _, cols = spec.partition(":")
        if not os.path.exists(path):
            print(f"plot_curves: {path} missing, skipped", file=sys.stderr)
            continue
        steps, series = read(path, [c for c in cols.split(",") if c])
        if not steps:
            continue
        w = max(1, len(steps) // 50)
        series = {k: smooth(v, w) for k, v in series.items()}
        svg(name, steps, series, os.path.join(out_dir, name + ".svg"))


if __name__ == "__main__":
    main()
