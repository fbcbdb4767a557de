#!/usr/bin/python3
"""The measurement protocol for a noisy shared host (docs/performance.md, "Measurement protocol").

Runs N rounds; each round runs every system (a command printing a machine-readable time) once, in alternating
order (A, B, C then C, B, A); records /proc/loadavg around the whole run, each round and each run; times a fixed FMA
loop (the quiet check, FmaPeakProbe --quiet-check) before and after the rounds and flags the run NOISY when the
machine's speed moved by more than 10 %; reports per system the minimum and median of its per-round times and the
median of the per-round paired ratios to the first system (layers4j); writes everything raw (every run's JSON,
every timed repetition's ms) plus the host, JVM flags and environment to --out (a bare name goes to docs/bench/).

  /usr/bin/python3 benchmarks/protocol.py infer --model resnet18 --batch 1 --rounds 3 --out 2026-12-07-infer.json
  /usr/bin/python3 benchmarks/protocol.py train --model resnet18 --batch 8 --rounds 3 --out 2026-12-07-train.json
  /usr/bin/python3 benchmarks/protocol.py suite [--backward] --rounds 3 --out 2026-12-07-suite.json
  common: [--threads 2] [--isa default|avx2] [--reps 10] [--warmup-seconds 10] [--quiet-reps 7]

infer: layers4j (./layers4j bench --model FILE --input IN) vs ONNX Runtime Java (OrtBench on the opset-17
torch.onnx.export of the same weights) vs PyTorch (scripts/torch_model_bench.py FILE); before timing, each writes its
output on the same input and the outputs must agree with PyTorch's: max|a - e| <= 1e-4 * max(1, max|e|).
train: a training step (cross-entropy, backward, SGD momentum 0.9): ./layers4j bench --model FILE --train vs
torch_model_bench.py FILE --train. suite: the conv suite of benchmarks/compare.py (run-suite.sh vs
torch_reference.py / torch_backward.py), per case.

--isa avx2 runs the Java systems with JDK_JAVA_OPTIONS=-XX:UseAVX=2 and PyTorch with ONEDNN_MAX_CPU_ISA=AVX2 (ONNX
Runtime picks its own kernels: no switch). ONNX Runtime always runs with ORT_DISABLE_TELEMETRY=1.
Python 3 standard library only; the systems need the build (mvn -q -pl cli,benchmarks -am package -DskipTests) and
Debian's PyTorch (/usr/bin/python3).
"""
import argparse
import array
import datetime
import json
import os
import platform
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPTS = os.path.join(ROOT, "scripts")
TORCH_PYTHON = "/usr/bin/python3"
NOISY_THRESHOLD = 0.10
AGREE_REL = 1e-4
PROTOCOL_VERSION = 1


# ---- summary statistics (benchmarks/test_protocol.py) ----

def alternating_order(names, round_index):
    """Round 0, 2, 4, ...: the systems in the given order; round 1, 3, ...: reversed (A, B, C then C, B, A)."""
    return list(names) if round_index % 2 == 0 else list(reversed(names))


def summarize(rounds, systems, baseline):
    """Per system and case: the per-round ms, their min and median, and for systems other than the baseline the
    per-round ratios system ms / baseline ms (> 1: the baseline is faster) and their median.
    rounds: [{"ms": {system: {case: ms}}}, ...]; a case missing in a round (a failed run) is left out of that round."""
    out = {}
    for s in systems:
        cases = {}
        for r in rounds:
            for case, ms in r["ms"].get(s, {}).items():
                cases.setdefault(case, []).append(ms)
        per = {}
        for case, v in cases.items():
            e = {"per_round_ms": v, "min_ms": min(v), "median_ms": statistics.median(v)}
            if s != baseline:
                ratios = [r["ms"][s][case] / r["ms"][baseline][case] for r in rounds
                          if case in r["ms"].get(s, {}) and case in r["ms"].get(baseline, {})]
                if ratios:
                    e["ratio_to_" + baseline] = {"per_round": ratios, "median": statistics.median(ratios)}
            per[case] = e
        out[s] = per
    return out


def geomean(values):
    values = list(values)
    if not values:
        return None
    p = 1.0
    for v in values:
        p *= v
    return p ** (1.0 / len(values))


def speed_change(before_ms, after_ms):
    """How much faster (> 0) or slower (< 0) the machine ran the same fixed work after than before."""
    return before_ms / after_ms - 1.0


def is_noisy(before_ms, after_ms, threshold=NOISY_THRESHOLD):
    """NOISY: the quiet check's speed moved by more than threshold (10 %) between before and after."""
    return abs(speed_change(before_ms, after_ms)) > threshold


BUSY_MARGIN = 0.5


def busy(loadavgs, cpus):
    """Whether the 1-minute load average exceeded the logical CPUs by more than BUSY_MARGIN at any of these
    readings. The margin: the systems under test fill the CPUs themselves (2 threads on 2 CPUs hold the 1-minute
    load near 2, and it decays for minutes after a run), so only load beyond the CPU count is someone else's."""
    return any(la is not None and cpus and la[0] > cpus + BUSY_MARGIN for la in loadavgs)


def agreement(actual, expected, rel=AGREE_REL):
    """The pass rule max|a - e| <= rel * max(1, max|e|) on two flat float sequences of one length."""
    if len(actual) != len(expected):
        return {"ok": False, "reason": "sizes differ: %d vs %d" % (len(actual), len(expected))}
    diff = max((abs(a - e) for a, e in zip(actual, expected)), default=0.0)
    scale = max((abs(e) for e in expected), default=0.0)
    tol = rel * max(1.0, scale)
    return {"ok": diff <= tol, "max_abs_diff": diff, "max_abs_expected": scale, "tolerance": tol, "rel": rel}


# ---- float32 safetensors, standard library only ----

def write_f32_safetensors(path, tensors):
    """tensors: name -> (shape, sequence of floats); written as little-endian F32."""
    header, blobs, offset = {}, [], 0
    for name, (shape, values) in tensors.items():
        a = array.array("f", values)
        if sys.byteorder != "little":
            a.byteswap()
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_f32_safetensors(path):
    """name -> (shape, array('f')) for every F32 tensor of a safetensors file (other dtypes are an error)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError("%s: tensor %s is %s, not F32" % (path, name, info["dtype"]))
        start, end = info["data_offsets"]
        a = array.array("f")
        a.frombytes(data[8 + n + start:8 + n + end])
        if sys.byteorder != "little":
            a.byteswap()
        out[name] = (info["shape"], a)
    return out


def random_input(shape, seed=1):
    """Seeded N(0, 1) values (Python's random.gauss), the inputs every system reads from one file."""
    rng = random.Random(seed)
    count = 1
    for d in shape:
        count *= d
    return [rng.gauss(0.0, 1.0) for _ in range(count)]


# ---- the host ----

def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def cpu_info():
    model, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k = k.strip()
                if k == "model name" and model is None:
                    model = v.strip()
                elif k == "flags" and not flags:
                    flags = set(v.split())
    except OSError:
        pass
    return {"model_name": model, "avx512f": "avx512f" in flags, "avx2": "avx2" in flags, "fma": "fma" in flags,
            "logical_cpus": os.cpu_count()}


def first_line(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        return p.stdout.strip().splitlines()[0] if p.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def git_state():
    head = first_line(["git", "-C", ROOT, "rev-parse", "HEAD"])
    try:
        dirty = bool(subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                                    stdout=subprocess.PIPE, text=True, timeout=60).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        dirty = None
    return {"commit": head, "dirty": dirty}


# ---- running things ----

def base_env():
    env = dict(os.environ)
    env["ORT_DISABLE_TELEMETRY"] = "1"
    return env


def system_env(kind, isa):
    """The environment of a system: 'java' (layers4j, ONNX Runtime Java) or 'torch'."""
    env = base_env()
    if isa == "avx2":
        if kind == "java":
            env["JDK_JAVA_OPTIONS"] = (env.get("JDK_JAVA_OPTIONS", "") + " -XX:UseAVX=2").strip()
        elif kind == "torch":
            env["ONEDNN_MAX_CPU_ISA"] = "AVX2"
    return env


def run(cmd, env, log):
    """Runs cmd; its output goes to the log file; raises with the log's tail on failure."""
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        p = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise RuntimeError("%s exited %d:\n%s" % (" ".join(cmd), p.returncode, tail))


def quiet_check(threads, reps, log):
    """FmaPeakProbe --quiet-check: the same fixed FMA work every time, without any ISA flag (so it is the same
    instructions under --isa avx2 too); the JSON it prints."""
    env = base_env()
    env.pop("JDK_JAVA_OPTIONS", None)
    cmd = [os.path.join(HERE, "run-class.sh"), "org.layers4j.cpu.FmaPeakProbe", "--quiet-check", str(threads), str(reps)]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(log, "a") as f:
        f.write("$ %s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
    if p.returncode != 0:
        raise RuntimeError("quiet check failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    r = json.loads(line)
    r["loadavg"] = loadavg()
    r["time"] = now()
    return r


def now():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


class System:
    """One system: a name, the kind of its environment, and a function (json path, check output path or None)
    -> argv. parse(json) -> {case: ms}."""

    def __init__(self, name, kind, argv, parse, env):
        self.name, self.kind, self.argv, self.parse, self.env = name, kind, argv, parse, env


def model_result(doc, case):
    return {case: doc["median_ms"]}


def suite_result(doc):
    return {r["name"]: r["median_ms"] for r in doc["results"]}


# ---- presets ----

def workdir():
    d = os.path.join(HERE, "target", "protocol")
    os.makedirs(d, exist_ok=True)
    return d


def prepare_model(a, log, onnx):
    """The layers4j model file (torch_models.py export-torchvision) and, for onnx, the opset-17 export of the same
    weights (onnx_torchvision.py --seed): made once per model and seed, in benchmarks/target/protocol/."""
    d = workdir()
    model_file = os.path.join(d, "%s_seed%d.safetensors" % (a.model, a.seed))
    if not os.path.exists(model_file):
        run([TORCH_PYTHON, os.path.join(SCRIPTS, "torch_models.py"), "export-torchvision", a.model, model_file,
             "--seed", str(a.seed)], base_env(), log)
    onnx_file = None
    if onnx:
        onnx_dir = os.path.join(d, "onnx_seed%d_size%d" % (a.seed, a.size))
        onnx_file = os.path.join(onnx_dir, "%s_op17.onnx" % a.model)
        if not os.path.exists(onnx_file):
            run([TORCH_PYTHON, os.path.join(SCRIPTS, "onnx_torchvision.py"), onnx_dir, "--opsets", "17", "--models",
                 a.model, "--seed", str(a.seed), "--size", str(a.size)], base_env(), log)
    shape = [a.batch, 3, a.size, a.size]
    input_file = os.path.join(d, "input_%s.safetensors" % "x".join(map(str, shape)))
    if not os.path.exists(input_file):
        write_f32_safetensors(input_file, {"input": (shape, random_input(shape, 1))})
    return model_file, onnx_file, input_file


def model_systems(a, model_file, onnx_file, input_file, train):
    layers4j = os.path.join(ROOT, "layers4j")
    t, reps, ws = str(a.threads), str(a.reps), str(a.warmup_seconds)
    case = "%s b%d %dx%d %s" % (a.model, a.batch, a.size, a.size, "train" if train else "infer")

    def l4j(js, out):
        # out: the check run (one timed run, no warm-up), writing the outputs on the input
        cmd = [layers4j, "bench", "--backend", "cpu", "--threads", t, "--model", model_file, "--input", input_file,
               "--warmup", "3", "--warmup-seconds", "0" if out else ws, "--reps", "1" if out else reps, "--json", js]
        return cmd + (["--output", out] if out else []) + (["--train"] if train else [])

    def ort(js, out):
        cmd = [os.path.join(HERE, "run-class.sh"), "org.layers4j.bench.OrtBench", onnx_file, "--threads", t,
               "--input", input_file, "--warmup", "3", "--warmup-seconds", "0" if out else ws,
               "--reps", "1" if out else reps, "--json", js]
        return cmd + (["--output", out] if out else [])

    def torch(js, out):
        cmd = [TORCH_PYTHON, os.path.join(SCRIPTS, "torch_model_bench.py"), model_file, "--threads", t, "--input",
               input_file, "--warmup-seconds", "0" if out else ws, "--reps", "1" if out else reps, "--json", js]
        return cmd + (["--output", out] if out else []) + (["--train"] if train else [])

    parse = lambda doc: model_result(doc, case)
    all_systems = {
        "layers4j": System("layers4j", "java", l4j, parse, system_env("java", a.isa)),
        "onnxruntime": System("onnxruntime", "java", ort, parse, system_env("java", a.isa)),
        "pytorch": System("pytorch", "torch", torch, parse, system_env("torch", a.isa)),
    }
    names = a.systems.split(",") if a.systems else (["layers4j", "pytorch"] if train
                                                    else ["layers4j", "onnxruntime", "pytorch"])
    if train and "onnxruntime" in names:
        raise SystemExit("protocol.py train: onnxruntime does not train here (OrtBench times inference only)")
    unknown = [n for n in names if n not in all_systems]
    if unknown:
        raise SystemExit("unknown systems %s (have %s)" % (unknown, list(all_systems)))
    return [all_systems[n] for n in names]


def suite_systems(a):
    sys.path.insert(0, HERE)
    import compare  # the conv-suite comparison's own command lines

    def l4j(js, out):
        return compare.layers4j_command(a.threads, a.backward, 20, js)

    def torch(js, out):
        return compare.torch_command(TORCH_PYTHON, a.threads, a.backward, js)

    return [System("layers4j", "java", l4j, suite_result, system_env("java", a.isa)),
            System("pytorch", "torch", torch, suite_result, system_env("torch", a.isa))]


def check_outputs(systems, tmp, log, rel_tol):
    """Each system once with --output on the shared input; every output against PyTorch's (the reference)."""
    outs = {}
    for s in systems:
        js = os.path.join(tmp, "check-%s.json" % s.name)
        out = os.path.join(tmp, "check-%s.safetensors" % s.name)
        run(s.argv(js, out), s.env, log)
        outs[s.name] = read_f32_safetensors(out)
    ref_name = "pytorch" if "pytorch" in outs else None
    result = {"reference": ref_name, "rule": "max|a - e| <= rel * max(1, max|e|)", "systems": {}}
    if ref_name is None:
        result["note"] = "no PyTorch system: nothing to check against"
        return result
    ref = outs[ref_name]
    for name, got in outs.items():
        if name == ref_name:
            continue
        rel = rel_tol.get(name, AGREE_REL)
        per = {}
        keys = sorted(set(ref) & set(got))
        if not keys and len(ref) == 1 and len(got) == 1:
            keys = [None]
        for k in keys:
            (es, ev), (gs, gv) = (ref[k], got[k]) if k is not None else (next(iter(ref.values())), next(iter(got.values())))
            r = agreement(gv, ev, rel)
            r["shape"] = gs
            if gs != es:
                r.update(ok=False, reason="shape %s vs PyTorch's %s" % (gs, es))
            per[k or "output"] = r
        if not per:
            per["output"] = {"ok": False, "reason": "no common output names: %s vs %s" % (list(got), list(ref))}
        result["systems"][name] = per
    result["ok"] = all(r["ok"] for per in result["systems"].values() for r in per.values())
    return result


def relative(cmd):
    """A command line with the repository's absolute paths written relative to its root (for the committed JSON)."""
    return [os.path.relpath(c, ROOT) if c.startswith(ROOT + os.sep) else c for c in cmd]


def default_out(preset, a):
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    what = "suite-%s" % ("backward" if a.backward else "forward") if preset == "suite" else \
        "%s-%s-b%d" % (a.model, preset, a.batch)
    return "%s-%s%s.json" % (stamp, what, "-avx2" if a.isa == "avx2" else "")


def out_path(name):
    if os.path.dirname(name):
        return name
    return os.path.join(ROOT, "docs", "bench", name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    sub = ap.add_subparsers(dest="preset", required=True)
    for name in ("infer", "train", "suite"):
        p = sub.add_parser(name)
        p.add_argument("--rounds", type=int, default=5)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--isa", choices=["default", "avx2"], default="default")
        p.add_argument("--quiet-reps", type=int, default=7, help="timed repetitions of the quiet check (default 7)")
        p.add_argument("--out", help="the JSON file (a bare name: under docs/bench/; default: a dated name)")
        if name == "suite":
            p.add_argument("--backward", action="store_true")
        else:
            p.add_argument("--model", default="resnet18", help="a torchvision model name (default resnet18)")
            p.add_argument("--seed", type=int, default=0, help="its weights' seed (torch_models.torchvision_model)")
            p.add_argument("--batch", type=int, default=1 if name == "infer" else 8)
            p.add_argument("--size", type=int, default=224)
            p.add_argument("--reps", type=int, default=10, help="timed runs per system and round (default 10)")
            # 10 s: on 2 cores the JIT's compiler threads take a core from the work for several seconds; after 2 s
            # MobileNetV3-Large's batch-1 runs still drifted from 8.5 to 21 ms within one process, after 10 s
            # they hold 8.4-10.4 ms (ONNX Runtime and PyTorch get the same warm-up)
            p.add_argument("--warmup-seconds", type=float, default=10.0, help="untimed seconds per run (default 10)")
            p.add_argument("--systems", help="comma-separated subset, first = baseline (default: layers4j,onnxruntime,"
                           "pytorch for infer, layers4j,pytorch for train)")
        if name == "infer":
            p.add_argument("--ort-rel-tol", type=float, default=AGREE_REL,
                           help="ONNX Runtime's pass rule rel (default 1e-4; a BN-folded export may need more)")
            p.add_argument("--allow-mismatch", action="store_true", help="time even when the outputs disagree")
    a = ap.parse_args(argv)
    if a.rounds < 1:
        raise SystemExit("--rounds must be >= 1")
    out = out_path(a.out or default_out(a.preset, a))
    if not out.endswith(".json"):
        raise SystemExit("--out must end in .json: " + out)
    if not os.path.isfile(os.path.join(HERE, "target", "classes", "org", "layers4j", "bench", "OrtBench.class")):
        raise SystemExit("build first: mvn -q -pl cli,benchmarks -am package -DskipTests")
    log = os.path.join(workdir(), "protocol.log")
    print("protocol %s: log in %s" % (a.preset, log), flush=True)
    doc = {"protocol": PROTOCOL_VERSION, "preset": a.preset,
           "command": ["benchmarks/protocol.py"] + (sys.argv[1:] if argv is None else list(argv)),
           "started": now(), "git": git_state(),
           "host": dict(cpu_info(), kernel=platform.release(), java=first_line(["java", "-version"]),
                        python=platform.python_version()),
           "options": {k: v for k, v in vars(a).items() if k not in ("preset", "out")}}
    # build what is stale now, not inside the first timed run
    run([os.path.join(ROOT, "layers4j"), "--version"], base_env(), log)
    check = None
    with tempfile.TemporaryDirectory() as tmp:
        if a.preset == "suite":
            systems = suite_systems(a)
        else:
            model_file, onnx_file, input_file = prepare_model(a, log, a.preset == "infer")
            doc["files"] = {"model": os.path.relpath(model_file, ROOT), "input": os.path.relpath(input_file, ROOT),
                            "onnx": os.path.relpath(onnx_file, ROOT) if onnx_file else None}
            systems = model_systems(a, model_file, onnx_file, input_file, a.preset == "train")
            if a.preset == "infer":
                print("checking the outputs ...", flush=True)
                check = check_outputs(systems, tmp, log, {"onnxruntime": a.ort_rel_tol})
                for name, per in check.get("systems", {}).items():
                    for k, r in per.items():
                        print("  %s %s vs PyTorch: %s" % (name, k, "ok" if r["ok"] else "MISMATCH") + (
                            ", max|diff| %.3g (max|e| %.3g, tolerance %.3g)" % (r["max_abs_diff"], r["max_abs_expected"],
                                                                            r["tolerance"]) if "max_abs_diff" in r
                            else ": " + r.get("reason", "")), flush=True)
                doc["check"] = check
                if not check.get("ok", True) and not a.allow_mismatch:
                    raise SystemExit("the outputs disagree (see above); --allow-mismatch times anyway")
        doc["systems"] = [{"name": s.name, "command": relative(s.argv("OUT.json", None)),
                           "env": {k: s.env.get(k) for k in ("JDK_JAVA_OPTIONS", "JAVA_OPTS", "ONEDNN_MAX_CPU_ISA",
                                                             "ORT_DISABLE_TELEMETRY", "OMP_NUM_THREADS",
                                                             "OMP_WAIT_POLICY")}}
                          for s in systems]
        java_env = next((s.env for s in systems if s.kind == "java"), {})
        doc["jvm_flags"] = {"launcher": "--add-modules jdk.incubator.vector", "JDK_JAVA_OPTIONS":
                            java_env.get("JDK_JAVA_OPTIONS"), "JAVA_OPTS": java_env.get("JAVA_OPTS")}
        doc["env"] = {"ONEDNN_MAX_CPU_ISA": next((s.env.get("ONEDNN_MAX_CPU_ISA") for s in systems if s.kind == "torch"),
                                                 None), "ORT_DISABLE_TELEMETRY": "1", "isa": a.isa}
        doc["loadavg_before"] = loadavg()
        print("quiet check before ...", flush=True)
        qb = quiet_check(a.threads, a.quiet_reps, log)
        rounds = []
        for r in range(a.rounds):
            order = alternating_order([s.name for s in systems], r)
            entry = {"round": r + 1, "order": order, "loadavg_before": loadavg(), "runs": {}, "ms": {}}
            for name in order:
                s = next(x for x in systems if x.name == name)
                js = os.path.join(tmp, "r%d-%s.json" % (r, name))
                la = loadavg()
                t0 = time.time()
                run(s.argv(js, None), s.env, log)
                with open(js) as f:
                    res = json.load(f)
                entry["runs"][name] = {"loadavg_before": la, "wall_s": round(time.time() - t0, 2), "result": res}
                entry["ms"][name] = s.parse(res)
                print("round %d/%d %-12s %s" % (r + 1, a.rounds, name, ", ".join(
                    "%s %.2f ms" % (c, ms) for c, ms in entry["ms"][name].items())), flush=True)
            entry["loadavg_after"] = loadavg()
            rounds.append(entry)
        print("quiet check after ...", flush=True)
        qa = quiet_check(a.threads, a.quiet_reps, log)
        doc["loadavg_after"] = loadavg()
    change = speed_change(qb["median_ms"], qa["median_ms"])
    noisy = is_noisy(qb["median_ms"], qa["median_ms"])
    doc["quiet_check"] = {"before": qb, "after": qa, "speed_change": change, "threshold": NOISY_THRESHOLD,
                          "noisy": noisy}
    doc["noisy"] = noisy
    # NOISY sees the host's speed change during the run; a host that was busy throughout slows both quiet checks
    # alike: the 1-minute load average above the logical CPUs at any reading says so (every number is then slowed)
    readings = [doc["loadavg_before"], doc["loadavg_after"]] + [r["loadavg_before"] for r in rounds] + \
        [r["loadavg_after"] for r in rounds]
    doc["busy"] = busy(readings, doc["host"]["logical_cpus"])
    doc["rounds"] = rounds
    baseline = systems[0].name
    summary = summarize(rounds, [s.name for s in systems], baseline)
    doc["summary"] = {"baseline": baseline, "systems": summary}
    if a.preset == "suite":
        for s in systems[1:]:
            key = "ratio_to_" + baseline
            doc["summary"]["geomean_median_ratio_" + s.name] = geomean(
                e[key]["median"] for e in summary[s.name].values() if key in e)
    doc["finished"] = now()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print_summary(doc, out)
    return doc


def print_summary(doc, out):
    q = doc["quiet_check"]
    base = doc["summary"]["baseline"]
    print("\n| system | case | min ms | median ms | per-round ms | median of per-round ratios to %s |" % base)
    print("|---|---|---:|---:|---|---:|")
    for s, per in doc["summary"]["systems"].items():
        for case, e in per.items():
            ratio = e.get("ratio_to_" + base)
            print("| %s | %s | %.2f | %.2f | %s | %s |" % (s, case, e["min_ms"], e["median_ms"],
                  ", ".join("%.2f" % v for v in e["per_round_ms"]), "%.3f" % ratio["median"] if ratio else ""))
    for k, v in doc["summary"].items():
        if k.startswith("geomean_"):
            print("%s: %.3f" % (k, v))
    print("\nquiet check: %.1f ms before, %.1f ms after (median of %d): speed %+.1f %% -> %s" % (
        q["before"]["median_ms"], q["after"]["median_ms"], len(q["before"]["ms"]), 100 * q["speed_change"],
        "NOISY (moved more than %d %%)" % round(100 * q["threshold"]) if q["noisy"] else "quiet"))
    print("load average: %s before, %s after%s" % (doc["loadavg_before"], doc["loadavg_after"],
          " -> BUSY (1-minute load above the %d logical CPUs + %.1f: every number slowed)" % (
              doc["host"]["logical_cpus"], BUSY_MARGIN)
          if doc.get("busy") else ""))
    print("wrote %s" % out)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        sys.exit("protocol.py: %s" % e)
