#!/usr/bin/env python3
"""Plots loss curves as an SVG (no dependencies): the JSON that `./layers4j train-textcnn --json FILE`
writes ({"layers4j": [...], "torch": [...]}) -> an SVG with both curves, PyTorch's dashed on top.

Usage: python3 scripts/plot_loss.py CURVES.json OUT.svg [--title TEXT]
"""
import argparse, json

W, H, L, R, T, B = 640, 360, 60, 20, 40, 50


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("curves")
    ap.add_argument("out")
    ap.add_argument("--title", default="TextCNN training loss: layers4j (JVM) and PyTorch")
    a = ap.parse_args()
    c = json.load(open(a.curves))
    ours, ref = c["layers4j"], c["torch"]
    n = len(ours)
    top = max(max(ours), max(ref)) * 1.05
    x = lambda i: L + (W - L - R) * i / max(1, n - 1)
    y = lambda v: T + (H - T - B) * (1 - v / top)
    pts = lambda vs: " ".join("%.1f,%.1f" % (x(i), y(v)) for i, v in enumerate(vs))
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="%d" y="22" font-size="14">%s</text>' % (L, a.title)]
    for k in range(6):
        v = top * k / 5
        parts.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (L, W - R, y(v), y(v)))
        parts.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (L - 6, y(v) + 4, v))
    for i in range(0, n, max(1, n // 10)):
        parts.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x(i), H - B + 18, i))
    parts.append('<text x="%d" y="%d" text-anchor="middle">step</text>' % ((L + W - R) // 2, H - 10))
    parts.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (L, W - R, H - B, H - B))
    parts.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>' % (L, L, T, H - B))
    parts.append('<polyline fill="none" stroke="#1f77b4" stroke-width="3" points="%s"/>' % pts(ours))
    parts.append('<polyline fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="5,4" points="%s"/>' % pts(ref))
    diff = max(abs(p - q) for p, q in zip(ours, ref))
    parts.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#1f77b4" stroke-width="3"/>' % (W - 250, W - 225, T + 10, T + 10))
    parts.append('<text x="%d" y="%d">layers4j (%s)</text>' % (W - 220, T + 14, c.get("backend", "")))
    parts.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#d62728" stroke-dasharray="5,4" stroke-width="1.5"/>' % (W - 250, W - 225, T + 28, T + 28))
    parts.append('<text x="%d" y="%d">PyTorch 1.13 (float64)</text>' % (W - 220, T + 32))
    parts.append('<text x="%d" y="%d">largest difference %.1e</text>' % (W - 250, T + 50, diff))
    parts.append("</svg>")
    open(a.out, "w").write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
