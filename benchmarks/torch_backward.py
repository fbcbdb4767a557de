#!/usr/bin/env python3
"""Times PyTorch's CPU convolution backward (grad input + grad weight + grad bias) on the layers4j suite.

Usage: python3 torch_backward.py [--threads 2] [--reps 10] [--json OUT.json] [--suite ../shared/bench/suite.json]
The forward graph is built once, untimed; each timed run is one autograd.grad over it (retain_graph), which
is exactly the three gradients layers4j's backward computes. GFLOP/s counts 2x the forward FLOPs.
"""
import argparse, json, os, statistics, time
import torch


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--json")
    ap.add_argument("--suite", default=os.path.join(here, "..", "..", "shared", "bench", "suite.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    suite = json.load(open(a.suite))
    results = []
    for c in suite["cases"]:
        torch.manual_seed(1)
        mod = torch.nn.Conv1d if c["op"] == "conv1d" else torch.nn.Conv2d
        conv = mod(c["cin"], c["cout"], c["kernel"], stride=c["stride"], padding=c["padding"],
                   dilation=c["dilation"], groups=c["groups"])
        x = torch.randn([c["n"], c["cin"]] + c["size"], requires_grad=True)
        y = conv(x)
        gy = torch.randn_like(y)
        params = [x, conv.weight, conv.bias]
        for _ in range(3):
            torch.autograd.grad(y, params, gy, retain_graph=True)
        times = []
        for _ in range(a.reps):
            t = time.perf_counter()
            torch.autograd.grad(y, params, gy, retain_graph=True)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        spatial = 1
        for s in y.shape[2:]:
            spatial *= s
        kvol = 1
        for k in c["kernel"]:
            kvol *= k
        flops = 2 * c["n"] * c["cout"] * spatial * (c["cin"] // c["groups"]) * kvol
        gf = 2 * flops / med / 1e9
        results.append({"name": c["name"], "median_ms": med * 1e3, "gflops": gf})
        print("%-14s %9.2f ms %8.1f GFLOP/s" % (c["name"], med * 1e3, gf))
    if a.json:
        json.dump({"engine": "torch " + torch.__version__, "threads": a.threads, "mode": "backward",
                   "results": results}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
