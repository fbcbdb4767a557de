#!/usr/bin/env python3
"""Per-node times of one model in layers4j and in ONNX Runtime, side by side.

Reads the table `./layers4j bench --model FILE --profile RUNS --profile-nodes 10000` prints (the compiled graph's
nodes, median ms over RUNS forwards) and the Chrome trace `OrtBench MODEL.onnx --profile PREFIX` writes (every
node's kernel time in every run; the last --ort-runs runs of each node are used, the warm-up's before them are
dropped). Nodes are matched by the PyTorch module they come from: layers4j names a node after the module's
qualified name (features.2.0.block.0.0 -> features_2_0_block_0_0); torch.onnx.export names its nodes by scope
(/features/features.2/features.2.0/block/block.0/block.0.0/Conv), whose components' last segments give the same
name. ORT's fused nodes keep the name of the node they start from (a Conv with its activation fused), so a
layers4j fused_conv meets the Conv's time plus the times of the ORT nodes its epilogue absorbed (its activation,
its residual add), and the script totals both sides per module: where the two graphs fused differently, compare
the totals, not single rows.

  ./layers4j bench --model M.safetensors --input IN.safetensors --warmup-seconds 10 --profile 20 \\
      --profile-nodes 10000 > l4j.txt
  ORT_DISABLE_TELEMETRY=1 benchmarks/run-class.sh org.layers4j.bench.OrtBench M.onnx --input IN.safetensors \\
      --warmup-seconds 10 --reps 20 --profile /tmp/ort
  /usr/bin/python3 scripts/node_compare.py l4j.txt /tmp/ort_DATE.json --ort-runs 20
"""
import argparse
import json
import re
import statistics
import sys
from collections import defaultdict

ROW = re.compile(r"^  (\S+)\s+(\S+)\s+(\[[^\]]*\]|)\s+([0-9.]+)\s+([0-9.]+)%$")


def layers4j_nodes(path):
    """node name -> (op, ms) from the per-node table of `bench --model --profile`."""
    nodes = {}
    inside = False
    with open(path) as f:
        for line in f:
            if line.startswith("per node"):
                inside = True
                continue
            if line.startswith("per op"):
                break
            m = ROW.match(line.rstrip("\n")) if inside else None
            if m and m.group(1) != "node":
                nodes[m.group(1)] = (m.group(2), float(m.group(4)))
    if not nodes:
        raise SystemExit("%s: no per-node table (run bench with --profile RUNS --profile-nodes 10000)" % path)
    if any(name.endswith("~") for name in nodes):
        print("note: some layers4j node names were clipped at 34 characters", file=sys.stderr)
    return nodes


def module_of_scope(name):
    """/features/features.2/features.2.0/block/block.0/block.0.0/Conv... -> features_2_0_block_0_0.

    The scope's module components come first (attribute names: lower case by Python's convention); the op and what
    ORT's fusions append (Conv, Mul/QuickGeluFusion, Relu_output_0_nchwc) start with a capital letter.
    """
    parts = [p for p in name.split("/") if p]
    modules = []
    for p in parts:
        if p[0].isupper():
            break
        modules.append(p)
    if not modules or len(modules) == len(parts):
        return None
    return "_".join(p.split(".")[-1] for p in modules)


def ort_nodes(path, runs):
    """module -> list of (ORT node name, op, median ms over the last `runs` runs)."""
    with open(path) as f:
        events = json.load(f)
    times = defaultdict(list)
    ops = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        name = e["name"][: -len("_kernel_time")]
        times[name].append(e["dur"] / 1000.0)
        ops[name] = e.get("args", {}).get("op_name", "?")
    by_module = defaultdict(list)
    for name, ts in times.items():
        module = module_of_scope(name) or name
        by_module[module].append((name, ops[name], statistics.median(ts[-runs:])))
    return by_module


def fold_into_fused(ort, l4j):
    """ORT's nodes of modules layers4j fused away, charged to the fused_conv that absorbed them.

    A Conv2dNormActivation block is conv (index 0), BatchNorm (1), activation (2): layers4j folds the BatchNorm and
    runs the activation as the conv's epilogue, so it has a node for index 0 only; ORT names a Conv it fused with its
    Relu after the Relu's output (block.0.2) and keeps a separate activation node (QuickGelu for SiLU, HardSigmoid and
    Mul for Hardswish) under index 2. Such a module is merged into the nearest lower sibling that is a layers4j
    fused_conv.
    """
    merged = defaultdict(list)
    for module, rows in ort.items():
        target = module
        if module not in l4j:
            head, _, last = module.rpartition("_")
            if last.isdigit():
                for i in range(int(last) - 1, -1, -1):
                    candidate = "%s_%d" % (head, i)
                    if candidate in l4j and l4j[candidate][0] == "fused_conv":
                        target = candidate
                        break
        merged[target].extend(rows)
    return merged


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("layers4j_table")
    ap.add_argument("ort_trace")
    ap.add_argument("--ort-runs", type=int, default=20, help="timed runs of OrtBench (its last runs are used)")
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args(argv)
    l4j = layers4j_nodes(a.layers4j_table)
    ort = fold_into_fused(ort_nodes(a.ort_trace, a.ort_runs), l4j)
    rows = []
    for module in sorted(set(l4j) | set(ort)):
        lop, lms = l4j.get(module, ("-", 0.0))
        ort_ms = sum(t for _, _, t in ort.get(module, []))
        ort_ops = "+".join(op for _, op, _ in ort.get(module, [])) or "-"
        rows.append((module, lop, lms, ort_ops, ort_ms))
    rows.sort(key=lambda r: r[2] - r[4], reverse=True)
    lt = sum(r[2] for r in rows)
    ot = sum(r[4] for r in rows)
    print("totals: layers4j %.3f ms over %d nodes, onnxruntime %.3f ms over %d modules' nodes"
          % (lt, len(l4j), ot, sum(len(v) for v in ort.values())))
    print("%-34s %-12s %9s  %-26s %9s %9s" % ("module", "layers4j op", "ms", "onnxruntime ops", "ms", "l4j-ort"))
    for module, lop, lms, oop, oms in rows[: a.top]:
        print("%-34s %-12s %9.3f  %-26s %9.3f %+9.3f" % (module[:34], lop[:12], lms, oop[:26], oms, lms - oms))
    per_op = defaultdict(lambda: [0.0, 0.0, 0])
    for module, lop, lms, oop, oms in rows:
        p = per_op[lop]
        p[0] += lms
        p[1] += oms
        p[2] += 1
    print("per layers4j op (ORT's time of the same modules):")
    for op, (lms, oms, n) in sorted(per_op.items(), key=lambda kv: kv[1][0] - kv[1][1], reverse=True):
        print("  %-28s %4d modules  layers4j %9.3f ms  onnxruntime %9.3f ms" % (op[:28], n, lms, oms))


if __name__ == "__main__":
    main()
