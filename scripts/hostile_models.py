#!/usr/bin/env python3
"""Hostile model files for `layers4j run`: mutates valid model files and reports how the CLI takes them.

  /usr/bin/python3 scripts/hostile_models.py [--count 100] [--seed 1] [--dir DIR] [--xmx 1g] [--timeout 60]

Writes two valid models (LeNet as a `sequential` file, torchvision's squeezenet1_1 as a `graph` file, with inputs),
then COUNT mutated copies, half of each: architecture arguments replaced by unknown ops, missing / ill-typed / empty /
zero / negative / huge (2^31-1, 10^12) values or sizes scaled up (specs declaring huge layers over small tensors),
deeply nested JSON; header data_offsets / shapes / dtypes changed; bytes truncated or garbled. Runs
`JAVA_OPTS=-Xmx<xmx> ./layers4j run MODEL INPUT` on each and counts: ran (exit 0), refused (exit 3 with a one-line
`error:` message), anything else (printed; should be none). Exits 1 when anything else occurred.
Needs PyTorch (scripts/torch_models.py) and a built CLI (./layers4j builds it when stale).
"""
import argparse, json, os, random, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch_models as tm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POOL = ["relu", "conv2d", "linear", "batchnorm2d", "embedding", "conv3d", "transformer", "", "module", 0, 1, -1, 2, 3,
        -2 ** 31, 2 ** 31 - 1, 10 ** 12, 46000, 65536, 0.5, -1.0, 1e12, 1e308, True, False, None, [], [0], [-1, 2],
        [2 ** 31 - 1, 2 ** 31 - 1], [10 ** 12], [46000, 46000], {}, {"node": "x"},
        {"op": "linear", "in_features": 46000, "out_features": 46000},
        {"op": "embedding", "num_embeddings": 100000, "embedding_dim": 100000},
        {"op": "batchnorm2d", "num_features": 2 ** 31 - 1}, {"op": "adaptiveavgpool1d", "output_size": []}]


def split(data):
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def join(header, rest):
    raw = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(raw)) + raw + rest


def mutate_json(v, rng):
    """One random change somewhere in a JSON tree."""
    if isinstance(v, dict) and v and rng.random() < 0.8:
        v, k = dict(v), rng.choice(list(v))
        r = rng.random()
        if r < 0.12:
            del v[k]
        elif r < 0.25:
            v["bogus_arg"] = rng.choice(POOL)
        else:
            v[k] = mutate_json(v[k], rng)
        return v
    if isinstance(v, list) and v and rng.random() < 0.8:
        v, i = list(v), rng.randrange(len(v))
        r = rng.random()
        if r < 0.2:
            del v[i]
        elif r < 0.4:
            v.insert(i, v[rng.randrange(len(v))])
        else:
            v[i] = mutate_json(v[i], rng)
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and rng.random() < 0.5:
        return int(v) * rng.choice([46000, -1, 0, 2 ** 20])
    return rng.choice(POOL)


def mutate_layer_argument(arch, rng):
    """One argument of one layer spec (a sequential's layer, a graph's module) set to a hostile value."""
    specs = list(arch["modules"].values()) if isinstance(arch, dict) and isinstance(arch.get("modules"), dict) else arch
    if not isinstance(specs, list) or not specs:
        return mutate_json(arch, rng)
    spec = rng.choice(specs)
    if not isinstance(spec, dict) or not spec:
        return mutate_json(arch, rng)
    k = rng.choice(list(spec))
    v = spec[k]
    spec[k] = int(v) * rng.choice([46000, -1, 2 ** 16]) if isinstance(v, int) and not isinstance(v, bool) \
        and rng.random() < 0.5 else rng.choice(POOL)
    return arch


def mutate(data, key, rng):
    kind = rng.random()
    try:
        header, rest = split(data)
    except (ValueError, TypeError, RecursionError, struct.error):
        header = None
    if kind < 0.7 and header is not None and key in header.get("__metadata__", {}):
        meta = header["__metadata__"]
        if rng.random() < 0.07:
            depth = rng.randrange(100, 20000)
            meta[key] = "[" * depth + "]" * depth
        else:
            try:
                arch = json.loads(meta[key])
            except (ValueError, TypeError, RecursionError):
                return data
            arch = mutate_layer_argument(arch, rng) if rng.random() < 0.7 else mutate_json(arch, rng)
            meta[key] = json.dumps(arch)
        return join(header, rest)
    if kind < 0.85 and header is not None:
        names = [k for k in header if k != "__metadata__"]
        if not names:
            return data
        name = rng.choice(names)
        e = dict(header[name])
        field = rng.choice(["data_offsets", "shape", "dtype"])
        big = [0, 1, 3, 4, 16, 4096, -1, 2 ** 31 - 1, 10 ** 12, 2 ** 63 - 1]
        e[field] = {"data_offsets": [rng.choice(big), rng.choice(big)],
                    "shape": [rng.choice(big) for _ in range(rng.randrange(1, 3))],
                    "dtype": rng.choice(["F32", "F16", "BF16", "I64", "I8", "F64", "U8", "bogus"])}[field]
        header[name] = e
        return join(header, rest)
    b = bytearray(data)
    if rng.random() < 0.5:
        return bytes(b[:rng.randrange(len(b))])
    for _ in range(rng.randrange(1, 9)):
        at = rng.randrange(len(b)) if rng.random() < 0.25 else rng.randrange(min(len(b), 2000))
        b[at] = rng.randrange(256)
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", help="where to write the files (default: a new temporary directory)")
    ap.add_argument("--xmx", default="1g")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    d = a.dir or tempfile.mkdtemp(prefix="hostile_models_")
    os.makedirs(d, exist_ok=True)
    rng = random.Random(a.seed)
    bases = []
    model, x = tm.example("lenet", 20261201)
    tm.save(model, os.path.join(d, "lenet.safetensors"))
    tm.write_safetensors(os.path.join(d, "lenet_input.safetensors"), {"input": x}, {})
    bases.append(("lenet", "layers"))
    sq = tm.torchvision_model("squeezenet1_1", 10, 0)
    tm.save(sq, os.path.join(d, "squeezenet.safetensors"))
    tm.write_safetensors(os.path.join(d, "squeezenet_input.safetensors"), {"input": torch.randn(1, 3, 64, 64)}, {})
    bases.append(("squeezenet", "graph"))
    env = dict(os.environ, JAVA_OPTS="-Xmx%s -Dlayers4j.backend=cpu" % a.xmx)
    counts, slowest, others = {"ran": 0, "refused": 0, "other": 0}, (0.0, None), []
    for i in range(a.count):
        name, key = bases[i % len(bases)]
        with open(os.path.join(d, name + ".safetensors"), "rb") as f:
            data = f.read()
        for _ in range(rng.randrange(1, 3)):
            data = mutate(data, key, rng)
        path = os.path.join(d, "%s_%03d.safetensors" % (name, i))
        with open(path, "wb") as f:
            f.write(data)
        t0 = time.monotonic()
        try:
            p = subprocess.run([os.path.join(ROOT, "layers4j"), "run", path, os.path.join(d, name + "_input.safetensors")],
                               capture_output=True, text=True, env=env, timeout=a.timeout)
            code, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            code, err = "timeout", ""
        dt = time.monotonic() - t0
        # the JVM's incubator notice and INFO log lines are not part of the answer; anything else counts
        lines = [l for l in err.splitlines() if not l.startswith("WARNING: Using incubator") and "] INFO " not in l]
        if code == 0:
            counts["ran"] += 1
            verdict = "ran"
        elif code == 3 and len(lines) == 1 and lines[0].startswith("error: "):
            counts["refused"] += 1
            verdict = "refused: " + lines[0][:150]
            if dt > slowest[0]:
                slowest = (dt, os.path.basename(path))
        else:
            counts["other"] += 1
            verdict = "OTHER exit %s: %s" % (code, "\n".join(lines)[-2000:])
            others.append(path)
        print("%-28s %5.1f s  %s" % (os.path.basename(path), dt, verdict), flush=True)
    print("\n%d files in %s at -Xmx%s: ran %d, refused (exit 3, one line) %d, anything else %d; slowest refusal %.1f s (%s)"
          % (a.count, d, a.xmx, counts["ran"], counts["refused"], counts["other"], slowest[0], slowest[1]))
    sys.exit(1 if counts["other"] else 0)


if __name__ == "__main__":
    main()
