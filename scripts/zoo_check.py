#!/usr/bin/env python3
"""torchvision's CNN zoo as layers4j graph files, and checks of them against PyTorch.

The 74 classification and segmentation models of torchvision 0.14 outside the transformer family
(vit_*, swin_*, maxvit_t), random weights (torch_models.torchvision_model: seeded, BatchNorm running
statistics and constant-initialised parameters randomised), eval mode.

  zoo_check.py list                                   the models, checked against torchvision.models.list_models
  zoo_check.py export DIR [--only A,B] [--roundtrip] [--drop]
        DIR/NAME.safetensors (model), DIR/NAME.input.safetensors (`input`: 1x3x64x64, inception_v3 1x3x80x80),
        DIR/NAME.expected.safetensors (PyTorch's eval output: `output`, or `out` / `aux` for the segmentation
        models, built with aux_loss=True where they take it), one model at a time; nothing else in DIR is
        touched. --roundtrip checks each right after its export; --drop then deletes its three files if it passed.
  zoo_check.py roundtrip DIR [--only A,B]            torch_models.load of each file reproduces the expected output
  zoo_check.py compare DIR --java CMD [--only A,B] [--timeout S]
        runs `CMD run --backend cpu --output DIR/NAME.java.safetensors DIR/NAME.safetensors DIR/NAME.input.safetensors`
        per model and compares each expected tensor with the same name in the Java output
  zoo_check.py census DIR                             the registry ops (with their arguments) and leaf modules used
  zoo_check.py train-export DIR [--only A,B]
        DIR/NAME.case.safetensors: a graph training case (fixtures/README.md, "Graph cases") for each of TRAIN_MODELS
        (batch 2, 3x64x64, dropout / stochastic depth probabilities 0, one Adam step with lr 1e-3; PyTorch float32)
  zoo_check.py train-check DIR --java CMD [--only A,B] [--timeout S]
        runs `CMD conformance --backend cpu --save-trained DIR/trained DIR/NAME.case.safetensors ...` (all at once),
        then loads each DIR/trained/NAME.case.safetensors with torch_models.load and compares its parameters with the
        case's adam.* tensors (and its buffers with after.*)

Pass rule, per tensor: max|actual - expected| <= 1e-4 * max(1, max|expected|). Run with /usr/bin/python3
(Debian's PyTorch 1.13 and torchvision 0.14).
"""
import argparse, gc, json, os, shlex, struct, subprocess, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

CLASSIFICATION = (
    ["alexnet"] + ["convnext_" + s for s in ["tiny", "small", "base", "large"]]
    + ["densenet121", "densenet161", "densenet169", "densenet201"]
    + ["efficientnet_b%d" % i for i in range(8)] + ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]
    + ["googlenet", "inception_v3"] + ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]
    + ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]
    + ["regnet_x_" + s for s in ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf"]]
    + ["regnet_y_" + s for s in ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf"]]
    + ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
    + ["resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d"]
    + ["shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]
    + ["squeezenet1_0", "squeezenet1_1"]
    + ["vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
    + ["wide_resnet50_2", "wide_resnet101_2"])
SEGMENTATION = ["deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50", "deeplabv3_resnet101",
                "fcn_resnet50", "fcn_resnet101", "lraspp_mobilenet_v3_large"]
MODELS = CLASSIFICATION + SEGMENTATION
TRANSFORMERS = ("vit_", "swin_", "maxvit_")
SEED = 20261201
TRAIN_MODELS = ["resnet50", "mobilenet_v3_small", "efficientnet_b0", "densenet121", "convnext_tiny", "regnet_y_400mf",
                "fcn_resnet50"]


def torchvision_models():
    """What torchvision itself lists, less the transformer family (the check of MODELS)."""
    import torchvision.models as tvm
    names = tvm.list_models(module=tvm) + tvm.list_models(module=tvm.segmentation)
    return sorted(n for n in names if not n.startswith(TRANSFORMERS))


def build(name):
    extra = {"aux_loss": True} if name in SEGMENTATION and not name.startswith("lraspp") else {}
    return tm.torchvision_model(name, seed=SEED, **extra)


def make_input(name):
    side = 80 if name == "inception_v3" else 64
    return torch.randn((1, 3, side, side), generator=torch.Generator().manual_seed(SEED + 7))


def paths(d, name):
    return {k: os.path.join(d, name + s) for k, s in [("model", ".safetensors"), ("input", ".input.safetensors"),
                                                       ("expected", ".expected.safetensors"), ("java", ".java.safetensors")]}


def header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def parameter_count(path):
    h = header(path)
    return sum(int(torch.Size(v["shape"]).numel()) for k, v in h.items() if k != "__metadata__"
               and not k.endswith(("running_mean", "running_var", "num_batches_tracked")))


def max_error(actual, expected):
    """{name: (max |diff|, passes)} per expected tensor; a missing or misshapen tensor fails with error inf."""
    out = {}
    for k, e in expected.items():
        a = actual.get(k)
        if a is None or a.shape != e.shape:
            out[k] = (float("inf"), False)
            continue
        err = (a - e).abs().max().item() if e.numel() else 0.0
        out[k] = (err, err <= 1e-4 * max(1.0, e.abs().max().item() if e.numel() else 0.0))
    return out


def export_one(d, name):
    p = paths(d, name)
    t = time.time()
    model = build(name)
    x = make_input(name)
    with torch.no_grad():
        y = tm.output_tensors(model(x))
    tm.save(model, p["model"])
    tm.write_safetensors(p["input"], {"input": x}, {"format": "pt"})
    tm.write_safetensors(p["expected"], y, {"format": "pt", "reference": "torch %s float32 eval" % torch.__version__})
    n = sum(q.numel() for q in model.parameters())
    del model
    gc.collect()
    return "exported %-30s %11d params  %s  %.1fs" % (name, n, {k: list(v.shape) for k, v in y.items()}, time.time() - t)


def roundtrip_one(d, name):
    """(passed, line): the loaded graph's eval output against the expected one, and its state_dict against the file."""
    p = paths(d, name)
    t = time.time()
    model = tm.load(p["model"]).eval()  # load_state_dict(strict=True): the file's tensors, exactly the model's
    problems = []
    if list(model.state_dict()) != [k for k in header(p["model"]) if k != "__metadata__"]:
        problems.append("state_dict order differs from the file")
    again = tm.export_graph(model)  # a loaded graph traces again to the same graph (load, then save, is a fixpoint)
    if again != json.loads(tm.read_safetensors_metadata(p["model"])["graph"]):
        problems.append("the graph differs after a second export")
    x = tm.read_safetensors(p["input"])[0]["input"]
    expected = tm.read_safetensors(p["expected"])[0]
    with torch.no_grad():
        errs = max_error(tm.output_tensors(model(x)), expected)
    del model
    gc.collect()
    worst = max(e for e, _ in errs.values())
    ok = not problems and all(okk for _, okk in errs.values())
    return ok, "%-4s %-30s max|diff| %.3g %s %s %.1fs" % ("ok" if ok else "FAIL", name, worst,
                                                          "(bit-exact)" if worst == 0 else "", "; ".join(problems),
                                                          time.time() - t)


def selected(a):
    names = a.only.split(",") if a.only else MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit("unknown model(s) %s; the zoo: %s" % (unknown, ", ".join(MODELS)))
    return names


def cmd_export(a):
    os.makedirs(a.dir, exist_ok=True)
    failed = []
    for name in selected(a):
        try:
            print(export_one(a.dir, name), flush=True)
            if a.roundtrip:
                ok, line = roundtrip_one(a.dir, name)
                print(line, flush=True)
                if not ok:
                    failed.append(name)
                elif a.drop:
                    for k in ("model", "input", "expected"):
                        os.remove(paths(a.dir, name)[k])
        except Exception as e:  # one model's failure is reported; the others still run
            failed.append(name)
            print("FAIL %-30s %s: %s" % (name, type(e).__name__, e), flush=True)
        gc.collect()
    print("%d models, %d failed%s" % (len(selected(a)), len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


def cmd_roundtrip(a):
    failed = []
    for name in selected(a):
        try:
            ok, line = roundtrip_one(a.dir, name)
        except Exception as e:
            ok, line = False, "FAIL %-30s %s: %s" % (name, type(e).__name__, e)
        print(line, flush=True)
        if not ok:
            failed.append(name)
    n = len(selected(a))
    print("%d passed, %d failed%s" % (n - len(failed), len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


def cmd_compare(a):
    java = shlex.split(a.java)
    rows, failed = [], 0
    print("%-30s %12s  %-8s %s" % ("model", "parameters", "status", "max error"))
    for name in selected(a):
        p = paths(a.dir, name)
        if not all(os.path.exists(p[k]) for k in ("model", "input", "expected")):
            status, err, params = "missing", "", 0
        else:
            params = parameter_count(p["model"])
            if os.path.exists(p["java"]):
                os.remove(p["java"])  # a stale output must not pass
            cmd = java + ["run", "--backend", "cpu", "--output", p["java"], p["model"], p["input"]]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
                if r.returncode != 0:
                    lines = (r.stderr or r.stdout).strip().splitlines()
                    status, err = "error", "rc %d: %s" % (r.returncode, lines[-1] if lines else "")
                else:
                    errs = max_error(tm.read_safetensors(p["java"])[0], tm.read_safetensors(p["expected"])[0])
                    status = "pass" if all(ok for _, ok in errs.values()) else "FAIL"
                    err = " ".join("%s=%.3g" % (k, e) for k, (e, _) in errs.items())
            except subprocess.TimeoutExpired:
                status, err = "timeout", "> %ds" % a.timeout
            except Exception as e:
                status, err = "error", "%s: %s" % (type(e).__name__, e)
        failed += status != "pass"
        print("%-30s %12d  %-8s %s" % (name, params, status, err), flush=True)
    n = len(selected(a))
    print("%d passed, %d failed" % (n - failed, failed))
    return 1 if failed else 0


def train_case_path(d, name):
    return os.path.join(d, name + ".case.safetensors")


def selected_train(a):
    names = a.only.split(",") if a.only else TRAIN_MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit("unknown model(s) %s" % unknown)
    return names


def cmd_train_export(a):
    import graph_cases as gc_
    os.makedirs(a.dir, exist_ok=True)
    for name in selected_train(a):
        t = time.time()
        model = gc_.zero_dropout(build(name))
        x = torch.randn((2, 3, 64, 64), generator=torch.Generator().manual_seed(SEED + 7))
        tensors, _ = gc_.write_case(model, x, train_case_path(a.dir, name), True, adam=gc_.ADAM, seed=SEED)
        print("exported %-20s %d tensors, %.1f MB  %.1fs" % (name, len(tensors), os.path.getsize(
            train_case_path(a.dir, name)) / 1e6, time.time() - t), flush=True)
        del model, tensors
        gc.collect()
    return 0


def cmd_train_check(a):
    java = shlex.split(a.java)
    names = selected_train(a)
    trained = os.path.join(a.dir, "trained")
    os.makedirs(trained, exist_ok=True)
    for name in names:
        if os.path.exists(os.path.join(trained, name + ".case.safetensors")):
            os.remove(os.path.join(trained, name + ".case.safetensors"))  # a stale model must not pass
    cmd = java + ["conformance", "--backend", "cpu", "--save-trained", trained] + [train_case_path(a.dir, n) for n in names]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    print(r.stdout.rstrip())
    if r.stderr.strip():
        print(r.stderr.rstrip()[-3000:], file=sys.stderr)
    print("(java conformance: rc %d, %.0fs)\n" % (r.returncode, time.time() - t))
    failed = 0
    print("%-20s %10s  %-6s %-44s %s" % ("model", "params", "status", "worst adam.* tensor (max|err| / tol)", "worst after.*"))
    for name in names:
        path = os.path.join(trained, name + ".case.safetensors")  # the case's name: NAME.case
        case, _ = tm.read_safetensors(train_case_path(a.dir, name))
        if not os.path.exists(path):
            failed += 1
            print("%-20s %10s  %-6s no trained model written" % (name, "", "FAIL"), flush=True)
            continue
        sd = tm.load(path).state_dict()
        worst = {"adam": ("", 0.0, 1.0), "after": ("", 0.0, 1.0)}
        ok, nparams, notes = True, 0, []
        for k, e in case.items():
            kind = k.split(".")[0]
            if kind not in worst:
                continue
            key = k[len(kind) + 1:]
            act = sd.get(key)
            if act is None or act.shape != e.shape:
                ok = False
                worst[kind] = (key, float("inf"), 0.0)
                continue
            if kind == "adam":
                nparams += e.numel()
            if e.dtype == torch.int64:
                err, tol = (0.0 if torch.equal(act, e) else float("inf")), 0.0
            else:
                err = (act.to(torch.float32) - e).abs().max().item() if e.numel() else 0.0
                tol = 1e-4 * max(1.0, e.abs().max().item() if e.numel() else 0.0)
            ok = ok and err <= tol
            if kind == "adam" and err > tol:  # where it fails: how large PyTorch's gradient is there
                bad = (act.to(torch.float32) - e).abs() > tol
                gr = case["grad." + key].abs()
                notes.append("    %s: %d of %d elements off (max %.3g > %.3g); |grad| there <= %.3g, tensor's max |grad| %.3g"
                             % (key, int(bad.sum()), e.numel(), err, tol, gr[bad].max().item(), gr.max().item()))
            if err / max(tol, 1e-30) > worst[kind][1] / max(worst[kind][2], 1e-30):
                worst[kind] = (key, err, tol)
        failed += not ok
        fmt = lambda w: "%s %.3g / %.3g" % w if w[0] else "-"
        print("%-20s %10d  %-6s %-44s %s" % (name, nparams, "pass" if ok else "FAIL", fmt(worst["adam"]), fmt(worst["after"])),
              flush=True)
        if notes:
            print("\n".join(notes), flush=True)
    print("%d passed, %d failed" % (len(names) - failed, failed))
    if a.conditioning:
        print("\nconditioning: PyTorch's own float32 gradients against its float64 ones, by the same rule (ratio = max|err| / tol)")
        for name in names:
            print("  %-20s %s" % (name, conditioning(train_case_path(a.dir, name))), flush=True)
    return 1 if failed else 0


def conditioning(path):
    """The worst tensor of PyTorch float32 against PyTorch float64 on a case (output and gradients)."""
    import copy
    import graph_cases as gc_
    case, _ = tm.read_safetensors(path)
    model = tm.load(path, strict=False)

    def run(dt):
        m = copy.deepcopy(model).to(dt).train()
        x = case["input"].detach().clone().to(dt).requires_grad_(True)
        y = gc_._named_outputs(m(x))
        single = list(y) == ["output"]
        loss = sum((v * case["grad_output" if single else "grad_output." + k].to(dt)).sum() for k, v in y.items())
        loss.backward()
        d = {"grad_input": x.grad}
        d.update({"grad." + k: p.grad for k, p in m.named_parameters() if p.grad is not None})
        d.update({("output" if single else "output." + k): v.detach() for k, v in y.items()})
        return d
    f32, f64 = run(torch.float32), run(torch.float64)
    worst = (0.0, "", 0.0, 0.0)
    for k, e in f64.items():
        e = e.to(torch.float32)
        err = (f32[k] - e).abs().max().item()
        tol = 1e-4 * max(1.0, e.abs().max().item())
        worst = max(worst, (err / tol, k, err, tol))
    return "worst %s: max|f32 - f64| %.3g, tol %.3g (ratio %.3g)%s" % (
        worst[1], worst[2], worst[3], worst[0], "" if worst[0] <= 1 else " -- ill-conditioned: PyTorch fails its own rule")


def _constant(v):
    """A JSON argument with its node references shown as <node>."""
    return json.dumps(_hide_nodes(v))


def _hide_nodes(v):
    if isinstance(v, dict):
        return "<node>" if set(v) == {"node"} else {k: _hide_nodes(x) for k, x in v.items()}
    return [_hide_nodes(x) for x in v] if isinstance(v, list) else v


def cmd_census(a):
    """Which registry ops (with positional counts, keyword names and constant values) and leaf modules the graphs use."""
    ops, mods, seen = {}, {}, []
    for name in selected(a):
        path = paths(a.dir, name)["model"]
        if not os.path.exists(path):
            continue
        seen.append(name)
        g = json.loads(header(path)["__metadata__"]["graph"])
        for n in g["nodes"]:
            key = n["target"] if n["op"] == "call_function" else n["op"] if n["op"] != "call_module" else None
            if key is None:
                continue
            e = ops.setdefault(key, {"graphs": set(), "nodes": 0, "nargs": set(), "kwargs": {}})
            e["graphs"].add(name)
            e["nodes"] += 1
            e["nargs"].add(len(n.get("args", [])))
            for i, v in enumerate(n.get("args", [])[1:], 1):
                e["kwargs"].setdefault("#%d" % i, set()).add(_constant(v))
            for k, v in n.get("kwargs", {}).items():
                e["kwargs"].setdefault(k, set()).add(_constant(v))
        for mname, spec in g["modules"].items():
            e = mods.setdefault(spec["op"], {"graphs": set(), "count": 0, "values": {}})
            e["graphs"].add(name)
            e["count"] += 1
            for k, v in spec.items():
                if k != "op":
                    e["values"].setdefault(k, set()).add(json.dumps(v))
    print("%d graphs: %s\n" % (len(seen), " ".join(seen)))
    print("registry ops (call_function targets; other node kinds by their op); #i = positional argument i, then keywords:")
    for k, e in sorted(ops.items(), key=lambda kv: -len(kv[1]["graphs"])):
        kw = "; ".join("%s=%s" % (k2, ",".join(sorted(v)[:8]) + (",..." if len(v) > 8 else "")) for k2, v in sorted(e["kwargs"].items()))
        print("  %-22s %3d graphs %6d nodes  positional args %s  %s" % (k, len(e["graphs"]), e["nodes"], sorted(e["nargs"]), kw))
    print("\nleaf modules (op: spec values seen, up to 8 per key):")
    for k, e in sorted(mods.items(), key=lambda kv: -len(kv[1]["graphs"])):
        vals = "; ".join("%s=%s" % (k2, " ".join(sorted(v)[:8]) + (" ..." if len(v) > 8 else "")) for k2, v in sorted(e["values"].items()))
        print("  %-18s %3d graphs %6d modules  %s" % (k, len(e["graphs"]), e["count"], vals))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    for c in ["export", "roundtrip", "compare", "census"]:
        s = sub.add_parser(c)
        s.add_argument("dir")
        s.add_argument("--only", help="comma-separated model names")
        if c == "export":
            s.add_argument("--roundtrip", action="store_true", help="check each model right after its export")
            s.add_argument("--drop", action="store_true", help="with --roundtrip: delete a passing model's files")
        if c == "compare":
            s.add_argument("--java", required=True, help="the layers4j command, e.g. ./layers4j")
            s.add_argument("--timeout", type=int, default=1800, help="seconds per model")
    for c in ["train-export", "train-check"]:
        s = sub.add_parser(c)
        s.add_argument("dir")
        s.add_argument("--only", help="comma-separated model names (default: %s)" % ",".join(TRAIN_MODELS))
        if c == "train-check":
            s.add_argument("--java", required=True, help="the layers4j command, e.g. ./layers4j")
            s.add_argument("--timeout", type=int, default=7200, help="seconds for the whole Java run")
            s.add_argument("--conditioning", action="store_true",
                           help="also compare PyTorch float32 with float64 on each case (is the case well-conditioned?)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("ZOO_THREADS", "1")))
    if a.cmd == "list":
        listed = torchvision_models()
        print("\n".join(MODELS))
        print("%d models; torchvision lists %d outside the transformer family%s" % (
            len(MODELS), len(listed), "" if sorted(MODELS) == listed else
            " -- differs: missing here %s, extra here %s" % (sorted(set(listed) - set(MODELS)), sorted(set(MODELS) - set(listed)))))
        return 0 if sorted(MODELS) == listed else 1
    return {"export": cmd_export, "roundtrip": cmd_roundtrip, "compare": cmd_compare, "census": cmd_census,
            "train-export": cmd_train_export, "train-check": cmd_train_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
