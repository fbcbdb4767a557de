#!/usr/bin/env python3
"""Times PyTorch's CUDA convolutions on the layers4j benchmark suite, strict FP32 (TF32 off), and
prints the ratio to a layers4j bench JSON (bench --json) when one is given.

Usage: torch_cuda_bench.py --suite suite.json [--mode forward|backward] [--reps 10] [--warmup 3]
                           [--json OUT.json] [--compare layers4j-bench.json]
"""
import argparse, json, statistics, time
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True)
    ap.add_argument("--mode", choices=["forward", "backward"], default="forward")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--compare")
    a = ap.parse_args()
    # what layers4j's CUDA backend does by default: FP32 FMA math, heuristic algorithm choice
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    dev = torch.device("cuda")
    results = []
    for c in json.load(open(a.suite))["cases"]:
        torch.manual_seed(1)
        mod = torch.nn.Conv1d if c["op"] == "conv1d" else torch.nn.Conv2d
        conv = mod(c["cin"], c["cout"], c["kernel"], stride=c["stride"], padding=c["padding"],
                   dilation=c["dilation"], groups=c.get("groups", 1)).to(dev)
        x = torch.randn([c["n"], c["cin"]] + c["size"], device=dev, requires_grad=a.mode == "backward")

        if a.mode == "forward":
            def once():
                with torch.no_grad():
                    conv(x)
        else:
            y = conv(x)
            gy = torch.randn_like(y)
            params = [x, conv.weight, conv.bias]

            def once():
                torch.autograd.grad(y, params, gy, retain_graph=True)
        for _ in range(a.warmup):
            once()
        torch.cuda.synchronize()
        times = []
        for _ in range(a.reps):
            t = time.perf_counter()
            once()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        results.append({"name": c["name"], "median_ms": med * 1e3})
    ours = {}
    if a.compare:
        try:
            ours = {r["name"]: r["median_ms"] for r in json.load(open(a.compare))["results"]}
        except (OSError, ValueError, KeyError):
            ours = {}
    print("%-14s %12s %12s %8s" % ("case", "torch ms", "layers4j ms", "ratio"))
    for r in results:
        l4j = ours.get(r["name"])
        ratio = "" if l4j is None else "%.2f" % (l4j / r["median_ms"])
        r["layers4j_ms"] = l4j
        print("%-14s %12.3f %12s %8s" % (r["name"], r["median_ms"], "" if l4j is None else "%.3f" % l4j, ratio))
    print("torch %s, cuDNN %s, %s, TF32 off, mode %s; ratio = layers4j / torch (lower is better for layers4j)"
          % (torch.__version__, torch.backends.cudnn.version(), torch.cuda.get_device_name(0), a.mode))
    if a.json:
        json.dump({"engine": "torch " + torch.__version__, "device": torch.cuda.get_device_name(0),
                   "mode": a.mode, "results": results}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
