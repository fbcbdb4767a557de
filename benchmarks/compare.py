#!/usr/bin/env python3
"""Side-by-side layers4j CPU vs PyTorch on the suite: runs both, interleaved, for several rounds and
prints a Markdown table of per-case medians (over rounds of per-run medians), ratios and geometric means.

Usage: python3 benchmarks/compare.py [--threads 2] [--rounds 3] [--backward] [--api] [--warmup 20] [--torch-python /usr/bin/python3]
Needs: mvn -q -pl benchmarks -am package -DskipTests (for benchmarks/run-suite.sh), and python3-torch.
The layers4j side warms up for >= 1.5 s per case (PyTorch: 3 runs) because the JVM compiles its kernels at run time.
benchmarks/protocol.py suite runs the same two commands with the measurement protocol (raw JSON, quiet check).
"""
import argparse, json, math, os, statistics, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# the JVM compiles the kernels' real call sites only after ~1 s of work; PyTorch needs no such warm-up
WARMUP_SECONDS = 1.5
ROOT = os.path.dirname(HERE)


def layers4j_command(threads, backward, warmup, out, api=False):
    """The layers4j side's command line: SPI level, the suite runner; layer API, the CLI's bench (a new output per call)."""
    runner = [os.path.join(ROOT, "layers4j"), "bench", "--backend", "cpu"] if api else [os.path.join(HERE, "run-suite.sh")]
    cmd = runner + ["--threads", str(threads), "--warmup", str(warmup),
                    "--warmup-seconds", str(WARMUP_SECONDS), "--json", out]
    if backward:
        cmd.append("--backward")
    return cmd


def torch_command(python, threads, backward, out):
    """PyTorch's side: shared/bench/torch_reference.py (forward) or torch_backward.py."""
    script = os.path.join(HERE, "torch_backward.py") if backward else os.path.join(ROOT, "..", "shared", "bench", "torch_reference.py")
    return [python, script, "--threads", str(threads), "--json", out]


def run_layers4j(threads, backward, warmup, out, api=False):
    subprocess.run(layers4j_command(threads, backward, warmup, out, api), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return json.load(open(out))["results"]


def run_torch(python, threads, backward, out):
    subprocess.run(torch_command(python, threads, backward, out), check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))["results"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--backward", action="store_true")
    ap.add_argument("--api", action="store_true", help="time layers4j through the public layer API (new output per call)")
    ap.add_argument("--torch-python", default="/usr/bin/python3")
    ap.add_argument("--json", help="also write the per-case medians and ratios as JSON (for plot_ratios.py)")
    a = ap.parse_args()
    ours, theirs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for res in run_layers4j(a.threads, a.backward, a.warmup, os.path.join(tmp, "l.json"), a.api):
                ours.setdefault(res["name"], []).append(res)
            for res in run_torch(a.torch_python, a.threads, a.backward, os.path.join(tmp, "t.json")):
                theirs.setdefault(res["name"], []).append(res)
    mode = "backward (dx + dw + db)" if a.backward else "forward (conv + bias)"
    print("%s%s, %d threads, median of %d rounds (each the median of 10 timed runs)\n"
          % (mode, ", layers4j through the layer API" if a.api else "", a.threads, a.rounds))
    # the host's speed drifts over minutes: the ratio of each round's two sides (run back to back) is the paired one
    print("| case | layers4j ms | PyTorch ms | layers4j GFLOP/s | PyTorch GFLOP/s | layers4j / PyTorch speed |"
          " median of the rounds' ratios |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ratios = []
    paired_all = []
    gl, gt = [], []
    for name in ours:
        lm = statistics.median(x["median_ms"] for x in ours[name])
        tm = statistics.median(x["median_ms"] for x in theirs[name])
        lg = statistics.median(x["gflops"] for x in ours[name])
        tg = statistics.median(x["gflops"] for x in theirs[name])
        paired = statistics.median(t["median_ms"] / o["median_ms"] for o, t in zip(ours[name], theirs[name]))
        ratios.append(tm / lm)
        paired_all.append(paired)
        gl.append(lg)
        gt.append(tg)
        print("| %s | %.2f | %.2f | %.1f | %.1f | %.2fx | %.2fx |" % (name, lm, tm, lg, tg, tm / lm, paired))
    geo = lambda v: math.exp(sum(math.log(x) for x in v) / len(v))
    print("| **geometric mean** | | | %.1f | %.1f | %.2fx | %.2fx |" % (geo(gl), geo(gt), geo(ratios), geo(paired_all)))
    if a.json:
        json.dump({"mode": "backward" if a.backward else "forward", "threads": a.threads, "rounds": a.rounds,
                   "isa": os.environ.get("JDK_JAVA_OPTIONS", "default"),
                   "cases": [{"name": n, "ratio": r, "paired_ratio": pr} for n, r, pr in zip(ours, ratios, paired_all)],
                   "geomean": geo(ratios), "paired_geomean": geo(paired_all)},
                  open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
