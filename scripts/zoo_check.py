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
  zoo_check.py train-export DIR [--only A,B] [--batch 4] [--side 128] [--eps 1e-8]
        DIR/NAME.case.safetensors: a graph training case (fixtures/README.md, "Graph cases") for each of TRAIN_MODELS
        (input BATCHx3xSIDExSIDE, dropout / stochastic depth probabilities 0, one Adam step with lr 1e-3, betas
        (0.9, 0.999), eps 1e-8; the reference is PyTorch float64 from the stored float32 values, as in fixtures/)
  zoo_check.py train-check DIR --java CMD [--only A,B] [--timeout S] [--conditioning]
        runs `CMD conformance --backend cpu --save-trained DIR/trained DIR/NAME.case.safetensors ...` (all at once),
        then loads each DIR/trained/NAME.case.safetensors with torch_models.load and compares its parameters with the
        case's adam.* tensors (and its buffers with after.*); prints the worst max|err| / tol per group (output,
        grad_input, grad, after, adam), with --conditioning beside PyTorch float32's own (against the float64 reference)
  zoo_check.py train-conditioning [--only A,B] [--sizes 2x64,4x128,2x224] [--eps 1e-8,1e-6,1e-5,1e-4]
        PyTorch float32 against PyTorch float64, per input size and Adam eps: is a training check fair there?

The training check is train_replay.py's `check` (read its docstring): float32 gradients of the ReLU + training-mode
BatchNorm nets cannot meet the pass rule against plain float64 -- PyTorch's own miss it by up to 1,870x (resnet50
at 4x3x128x128), because ReLU decisions within rounding of 0 flip and Adam's first step lr * g / (|g| + eps) turns
gradient rounding into whole steps -- so it compares against float64 replaying Java's own ReLU decisions (checked to
differ from float64's only at rounding ties), widens the rule by PyTorch float32's own error where that exceeds it,
and checks the Adam step on Java's gradients. `train-check` below is the plain comparison, kept for reference;
`train-conditioning` measures PyTorch float32 against float64 per input size and Adam eps.

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
# train-export's Adam: PyTorch's defaults (train_replay.py checks the step on Java's own gradients)
TRAIN_ADAM = {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}
TRAIN_BATCH, TRAIN_SIDE = 4, 128
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
    adam = dict(TRAIN_ADAM, eps=a.eps)
    for name in selected_train(a):
        t = time.time()
        model = gc_.zero_dropout(build(name))
        x = torch.randn((a.batch, 3, a.side, a.side), generator=torch.Generator().manual_seed(SEED + 7))
        tensors, _ = gc_.write_case(model, x, train_case_path(a.dir, name), True, adam=adam, dtype=torch.float64,
                                    seed=SEED)
        print("exported %-20s %d tensors, %.1f MB  %.1fs" % (name, len(tensors), os.path.getsize(
            train_case_path(a.dir, name)) / 1e6, time.time() - t), flush=True)
        del model, tensors
        gc.collect()
    return 0


def java_ratios(stdout):
    """{case name: {group: (ratio, tensor)}} from `conformance` output: the worst failing tensor per group (a
    passing case or group has no entry: all its tensors within the rule)."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0] not in ("PASS", "FAIL"):
            continue
        d = out.setdefault(parts[1], {})
        for i in range(len(parts) - 3):
            if parts[i + 2] == ">":
                try:
                    err, tol = float(parts[i + 1]), float(parts[i + 3])
                except ValueError:
                    continue
                g = group_of(parts[i])
                d[g] = max(d.get(g, (0.0, "")), (err / max(tol, 1e-30), parts[i]))
                d.setdefault("errors", {})[parts[i]] = parts[i + 1]
    return out


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
    jr = java_ratios(r.stdout)
    failed, rows = 0, []
    for name in names:
        path = os.path.join(trained, name + ".case.safetensors")  # the case's name: NAME.case
        case, _ = tm.read_safetensors(train_case_path(a.dir, name))
        if not os.path.exists(path):
            failed += 1
            rows.append((name, "", "FAIL", "no trained model written", {}, {}, ""))
            continue
        sd = tm.load(path).state_dict()
        loaded = worst_by_group(
            {k: sd[k.split(".", 1)[1]] for k in case if k.startswith(("adam.", "after.")) and k.split(".", 1)[1] in sd},
            {k: v for k, v in case.items() if k.startswith(("adam.", "after."))})
        nparams = sum(v.numel() for k, v in case.items() if k.startswith("adam."))
        notes = []
        for k, e in case.items():  # where the loaded model's step fails: how large PyTorch's gradient is there
            if k.startswith("adam.") and k[5:] in sd and sd[k[5:]].shape == e.shape:
                tol = 1e-4 * max(1.0, e.abs().max().item())
                bad = (sd[k[5:]].to(torch.float32) - e).abs() > tol
                if bad.any():
                    gr = case["grad." + k[5:]].abs()
                    notes.append("    %s: %d of %d elements off (max %.3g > %.3g); |grad| there <= %.3g, max |grad| %.3g"
                                 % (k[5:], int(bad.sum()), e.numel(), (sd[k[5:]] - e).abs().max().item(), tol,
                                    gr[bad].max().item(), gr.max().item()))
        j = dict(jr.get(name + ".case", {}))
        # the stepped model as PyTorch reads it back holds what Java held: every adam.* error Java printed (%.3e)
        # is the loaded model's error, and the tensors Java passed pass loaded too
        printed = {k: v for k, v in j.pop("errors", {}).items() if k.startswith("adam.")}
        same = sum("%.3e" % (sd[k[5:]] - case[k]).abs().max().item() == v for k, v in printed.items() if k[5:] in sd)
        if printed:
            roundtrip = "%d/%d printed errors equal" % (same, len(printed))
        else:
            roundtrip = "Java passed all"
        roundtrip += (", loaded passes all" if loaded.get("adam", (0,))[0] <= 1 else "")
        for g in ("adam", "after"):
            if g in loaded:
                j[g] = loaded[g][:2]
        ok = any(l.split()[:2] == ["PASS", name + ".case"] for l in r.stdout.splitlines()) and all(
            v[0] <= 1 for v in loaded.values())
        failed += not ok
        p = conditioning(train_case_path(a.dir, name)) if a.conditioning else {}
        has = {group_of(k) for k in case}
        rows.append((name, nparams, "pass" if ok else "FAIL", "", j, p, roundtrip, has))
        if notes:
            print("\n".join(notes[:20]) + ("\n    ... %d more" % (len(notes) - 20) if len(notes) > 20 else ""), flush=True)
    groups = ["output", "grad_input", "grad", "after", "adam"]
    print("\nworst max|err| / tol per group: Java (output, grad_input, grad: conformance's failing tensors, else <= 1;"
          " after, adam: the stepped model torch_models.load reads back)%s" % (
              " | PyTorch float32 against the float64 reference" if a.conditioning else ""))
    print("%-20s %10s  %-6s %s  %s" % ("model", "params", "status", " ".join("%-21s" % g for g in groups),
                                        "stepped model read back by PyTorch"))
    for name, nparams, status, why, j, p, roundtrip, *has in rows:
        if why:
            print("%-20s %10s  %-6s %s" % (name, nparams, status, why))
            continue
        cell = lambda g: "-" if g not in has[0] else ("%.3g" % j[g][0] if g in j else "<=1") + (
            " | %.3g" % p[g][0] if g in p else "")
        print("%-20s %10d  %-6s %s  %s" % (name, nparams, status, " ".join("%-21s" % cell(g) for g in groups), roundtrip),
              flush=True)
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


def reference_run(model, x, gy, dt, eps_list=(), adam=None):
    """PyTorch's training-mode result in dtype dt for the float32 model and input: output(s), grad_input, grad.*,
    after.* and, per Adam eps in eps_list, adam@EPS.* (one torch.optim.Adam step; lr, betas from adam or ADAM)."""
    import copy
    import graph_cases as gc_
    adam = dict(adam or gc_.ADAM)
    m = copy.deepcopy(model).to(dt).train()
    xr = x.detach().clone().to(dt).requires_grad_(True)
    y = gc_._named_outputs(m(xr))
    single = list(y) == ["output"]
    loss = sum((v * gy["grad_output" if single else "grad_output." + k].to(dt)).sum() for k, v in y.items())
    loss.backward()
    d = {("output" if single else "output." + k): v.detach() for k, v in y.items()}
    d["grad_input"] = xr.grad
    d.update({"grad." + k: (p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in m.named_parameters()})
    d.update({"after." + k: b.detach().clone() for k, b in m.named_buffers()})
    start = {k: p.detach().clone() for k, p in m.named_parameters()}
    for eps in eps_list:
        with torch.no_grad():
            for k, p in m.named_parameters():
                p.copy_(start[k])
        opt = torch.optim.Adam(m.parameters(), lr=adam["lr"], betas=tuple(adam["betas"]), eps=eps,
                               weight_decay=adam["weight_decay"])
        opt.step()
        d.update({"adam@%.0e.%s" % (eps, k): p.detach().clone() for k, p in m.named_parameters()})
    return d


def group_of(k):
    g = k.split(".")[0]
    return "output" if g.startswith("output") else g


def worst_by_group(actual, expected):
    """{group: (ratio, tensor, max|err|, tol)}: the worst tensor of each group (output, grad_input, grad, after,
    adam@EPS) by the pass rule; ratio = max|err| / tol (int64 tensors: 0 if equal, else inf)."""
    worst = {}
    for k, e in expected.items():
        a = actual.get(k)
        if a is None or a.shape != e.shape:
            err, tol = float("inf"), 1.0
        elif e.dtype == torch.int64:
            err, tol = (0.0 if torch.equal(a, e) else float("inf")), 1.0
        else:
            e = e.to(torch.float32)
            err = (a.to(torch.float32) - e).abs().max().item() if e.numel() else 0.0
            tol = 1e-4 * max(1.0, e.abs().max().item() if e.numel() else 0.0)
        g = group_of(k)
        worst[g] = max(worst.get(g, (-1.0, "", 0.0, 0.0)), (err / tol, k, err, tol))
    return worst


def conditioning(path):
    """PyTorch float32 against PyTorch float64 on a case (output, gradients, buffers, the case's Adam step), by
    the pass rule: {group: (ratio, tensor, max|err|, tol)}."""
    case, meta = tm.read_safetensors(path)
    model = tm.load(path, strict=False)
    adam = json.loads(meta["adam"]) if "adam" in meta else None
    eps = [adam["eps"]] if adam else []
    gy = {k: v for k, v in case.items() if k.startswith("grad_output")}
    f32, f64 = (reference_run(model, case["input"], gy, dt, eps, adam) for dt in (torch.float32, torch.float64))
    return {g.split("@")[0]: v for g, v in worst_by_group(f32, f64).items()}


def cmd_train_conditioning(a):
    """For each model and input size: PyTorch float32 against float64 (output, grad, after, and the Adam step at
    each eps), the worst ratio max|err| / tol per group; a size / eps is fair when every ratio is <= 1."""
    import graph_cases as gc_
    eps_list = [float(e) for e in a.eps.split(",")]
    sizes = [tuple(int(v) for v in s.split("x")) for s in a.sizes.split(",")]
    cols = ["output", "grad_input", "grad", "after"] + ["adam@%.0e" % e for e in eps_list]
    print("%-20s %-8s %s  %s" % ("model", "size", " ".join("%10s" % c for c in cols), "f32 fwd+bwd s / worst grad tensor"),
          flush=True)
    for name in selected_train(a):
        model = gc_.zero_dropout(build(name)).eval()
        for batch, side in sizes:
            x = torch.randn((batch, 3, side, side), generator=torch.Generator().manual_seed(SEED + 7))
            with torch.no_grad():
                y = gc_._named_outputs(model.train()(x))
            model.eval()
            g = torch.Generator().manual_seed(SEED + 99)
            single = list(y) == ["output"]
            gy = {("grad_output" if single else "grad_output." + k): torch.randn(v.shape, generator=g) for k, v in y.items()}
            # a fresh copy of the BN statistics for each run: reference_run deep-copies the model
            t = time.time()
            f32 = reference_run(model, x, gy, torch.float32, eps_list)
            t32 = time.time() - t
            f64 = reference_run(model, x, gy, torch.float64, eps_list)
            w = worst_by_group(f32, f64)
            print("%-20s %-8s %s  %.1fs %s" % (name, "%dx%d" % (batch, side), " ".join(("%10.3g" % w[c][0]) if c in w else "%10s" % "-" for c in cols),
                                              t32, w["grad"][1]), flush=True)
            del f32, f64
            gc.collect()
        del model
        gc.collect()
    return 0


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
    s = sub.add_parser("train-conditioning")
    s.add_argument("--only", help="comma-separated model names (default: %s)" % ",".join(TRAIN_MODELS))
    s.add_argument("--sizes", default="2x64,4x128,2x224", help="BATCHxSIDE,... (input BATCHx3xSIDExSIDE)")
    s.add_argument("--eps", default="1e-8,1e-6,1e-5,1e-4", help="Adam eps values to compare")
    for c in ["train-export", "train-check"]:
        s = sub.add_parser(c)
        s.add_argument("dir")
        s.add_argument("--only", help="comma-separated model names (default: %s)" % ",".join(TRAIN_MODELS))
        if c == "train-export":
            s.add_argument("--batch", type=int, default=TRAIN_BATCH)
            s.add_argument("--side", type=int, default=TRAIN_SIDE)
            s.add_argument("--eps", type=float, default=TRAIN_ADAM["eps"], help="Adam eps")
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
            "train-export": cmd_train_export, "train-check": cmd_train_check,
            "train-conditioning": cmd_train_conditioning}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
