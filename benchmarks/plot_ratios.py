#!/usr/bin/env python3
"""Bar chart (SVG, no dependencies) of the side-by-side speed ratios that `compare.py --json` writes:
one group per suite case, one bar per JSON file given (e.g. forward and backward, or AVX-512 and AVX2),
ratio = PyTorch time / layers4j time, with the 1.0 line (parity) marked.

Usage: python3 benchmarks/plot_ratios.py OUT.svg LABEL=FILE.json [LABEL=FILE.json ...] [--title TEXT]
"""
import argparse, json

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("series", nargs="+")
    ap.add_argument("--title", default="layers4j CPU vs PyTorch: speed ratio per case (PyTorch time / layers4j time)")
    a = ap.parse_args()
    series = []
    for s in a.series:
        label, path = s.split("=", 1)
        d = json.load(open(path))
        series.append((label, {c["name"]: c["ratio"] for c in d["cases"]}, d.get("geomean")))
    names = list(series[0][1])
    top = max(2.0, max(max(v.values()) for _, v, _ in series) * 1.1)
    W, H, L, B, T = max(760, 80 + 70 * len(names)), 380, 50, 70, 40
    bw = 56 / len(series)
    y = lambda v: T + (H - T - B) * (1 - v / top)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>', '<text x="%d" y="20" font-size="13">%s</text>' % (L, a.title)]
    for k in range(int(top / 0.5) + 1):
        v = k * 0.5
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>' % (L, W - 10, y(v), y(v), "#888" if v == 1 else "#eee"))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (L - 4, y(v) + 4, v))
    for i, n in enumerate(names):
        x0 = L + 10 + 70 * i
        for j, (label, vals, _) in enumerate(series):
            v = vals.get(n, 0)
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.2fx</title></rect>'
                       % (x0 + j * bw, y(v), bw - 2, y(0) - y(v), COLORS[j % 4], n, label, v))
        out.append('<text x="%.1f" y="%d" text-anchor="end" transform="rotate(-35 %.1f %d)">%s</text>'
                   % (x0 + 30, H - B + 14, x0 + 30, H - B + 14, n))
    for j, (label, _, geo) in enumerate(series):
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (W - 260, T + 4 + 18 * j, COLORS[j % 4]))
        out.append('<text x="%d" y="%d">%s%s</text>' % (W - 242, T + 14 + 18 * j, label,
                                                          "" if geo is None else " (geomean %.2fx)" % geo))
    out.append("</svg>")
    open(a.out, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
