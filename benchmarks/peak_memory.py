#!/usr/bin/python3
"""Peak resident memory of one eval forward, layers4j against ONNX Runtime Java, measured the same way for both.

Each system is one JVM process that loads the model and runs it once on the same input: layers4j's
`./layers4j run MODEL INPUT` (Models.loadForInference, one forward, the output printed) and ONNX Runtime's
`OrtBench MODEL.onnx --input INPUT --reps 1 --warmup 0 --warmup-seconds 0` (session creation with graph optimization
ALL, one run). The peak is the process's maximum resident set size (getrusage(RUSAGE_CHILDREN).ru_maxrss of a wrapper
that runs only that process: both launchers exec java). Both get the same JVM options (--jvm-opts, through
JDK_JAVA_OPTIONS) on top of their launchers' own; default none: layers4j's launcher then picks its collector (Parallel,
small young generation), ONNX Runtime's JVM runs G1. Rounds alternate the order; every round's KiB is written raw
to --out (a bare name goes to docs/bench/) with the host, the options and the load average.

  /usr/bin/python3 benchmarks/peak_memory.py --model resnet50 --batch 8 --rounds 5 --out 2026-12-07-rss.json
  /usr/bin/python3 benchmarks/peak_memory.py --model resnet50 --batch 8 --jvm-opts="-XX:+UseParallelGC -Xmn16m"

Model files come from protocol.py's preparation (torchvision weights, seed 0; the ONNX export of the same weights).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import protocol

# run one command and print the peak RSS (KiB) of the processes it waited for: the command itself
WRAPPER = ("import resource, subprocess, sys\n"
           "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
           "sys.stderr.buffer.write(p.stderr[-4000:])\n"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
           "sys.exit(p.returncode)\n")


def peak_kib(cmd, env):
    """The command's peak resident set size in KiB (RuntimeError with its stderr when it fails)."""
    p = subprocess.run([sys.executable, "-c", WRAPPER] + cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stderr))
    return int(p.stdout.strip().splitlines()[-1])


def summarize(rounds, names):
    """Per system: min and median KiB over the rounds, and each round's value; the median per-round ratio to the
    first system (ONNX Runtime's peak / layers4j's: above 1, layers4j holds less)."""
    out = {}
    for n in names:
        kib = [r["kib"][n] for r in rounds]
        out[n] = {"min_kib": min(kib), "median_kib": statistics.median(kib), "per_round_kib": kib}
    base = names[0]
    for n in names[1:]:
        out[n]["ratio_to_" + base] = statistics.median(r["kib"][n] / r["kib"][base] for r in rounds)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jvm-opts", default="", help="JVM options for both systems (JDK_JAVA_OPTIONS)")
    ap.add_argument("--out", help="the JSON file (a bare name: under docs/bench/)")
    a = ap.parse_args(argv)
    if a.rounds < 1:
        raise SystemExit("--rounds must be >= 1")
    if not os.path.isfile(os.path.join(protocol.HERE, "target", "classes", "org", "layers4j", "bench", "OrtBench.class")):
        raise SystemExit("build first: mvn -q -pl cli,benchmarks -am package -DskipTests")
    log = os.path.join(protocol.workdir(), "peak_memory.log")
    protocol.run([os.path.join(protocol.ROOT, "layers4j"), "--version"], protocol.base_env(), log)
    model_file, onnx_file, input_file = protocol.prepare_model(a, log, True)
    env = protocol.base_env()  # ORT_DISABLE_TELEMETRY=1
    env["JDK_JAVA_OPTIONS"] = (env.get("JDK_JAVA_OPTIONS", "") + " " + a.jvm_opts).strip()
    env["LAYERS4J_CPU_THREADS"] = str(a.threads)
    t = str(a.threads)
    systems = {
        "layers4j": [os.path.join(protocol.ROOT, "layers4j"), "run", "--backend", "cpu", model_file, input_file],
        "onnxruntime": [os.path.join(protocol.HERE, "run-class.sh"), "org.layers4j.bench.OrtBench", onnx_file,
                        "--threads", t, "--input", input_file, "--reps", "1", "--warmup", "0",
                        "--warmup-seconds", "0"],
    }
    doc = {"tool": "benchmarks/peak_memory.py", "command": ["benchmarks/peak_memory.py"] + (
        sys.argv[1:] if argv is None else list(argv)), "started": protocol.now(), "git": protocol.git_state(),
        "host": dict(protocol.cpu_info(), java=protocol.first_line(["java", "-version"])),
        "options": vars(a), "systems": {n: protocol.relative(c) for n, c in systems.items()},
        "env": {"JDK_JAVA_OPTIONS": env.get("JDK_JAVA_OPTIONS"), "LAYERS4J_CPU_THREADS": t,
                "ORT_DISABLE_TELEMETRY": "1"},
        "loadavg_before": protocol.loadavg()}
    rounds = []
    names = list(systems)
    for r in range(a.rounds):
        order = protocol.alternating_order(names, r)
        entry = {"round": r + 1, "order": order, "loadavg_before": protocol.loadavg(), "kib": {}}
        for n in order:
            entry["kib"][n] = peak_kib(systems[n], env)
            print("round %d/%d %-12s %8.1f MiB" % (r + 1, a.rounds, n, entry["kib"][n] / 1024), flush=True)
        rounds.append(entry)
    doc["rounds"] = rounds
    doc["loadavg_after"] = protocol.loadavg()
    doc["summary"] = summarize(rounds, names)
    doc["finished"] = protocol.now()
    if a.out:
        out = protocol.out_path(a.out)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print("wrote %s" % out)
    print("\n| system | min MiB | median MiB | per-round MiB | median ratio to layers4j |\n|---|---:|---:|---|---:|")
    for n, e in doc["summary"].items():
        ratio = e.get("ratio_to_layers4j")
        print("| %s | %.1f | %.1f | %s | %s |" % (n, e["min_kib"] / 1024, e["median_kib"] / 1024, ", ".join(
            "%.1f" % (k / 1024) for k in e["per_round_kib"]), "%.3f" % ratio if ratio else ""))
    return doc


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        sys.exit("peak_memory.py: %s" % e)
