#!/usr/bin/env python3
"""A float64 training reference that takes the ReLU decisions of a float32 run.

Why: ReLU's derivative jumps at 0. Where a pre-activation lies within rounding of 0, float32 and float64 take
opposite branches, and the element's whole upstream gradient goes through in one and not in the other. In a
training-mode network (BatchNorm on batch statistics couples every element of a channel) a handful of such
flips moves whole gradient tensors: PyTorch's own float32 gradients of resnet50 miss its float64 ones by up to
3,000x the pass rule at 2x3x64x64, and no input size makes that go away (zoo_check.py's docstring). Those flips say
nothing about whether an implementation computes the right thing; they are ties broken by rounding.

So the reference here is float64 everywhere except the ReLU decisions, which are the float32 run's own: each ReLU
node multiplies its input by the float32 run's mask (output > 0; PyTorch's gradient at 0 is 0, and so is this
one). Output, gradients, BatchNorm buffers and an Adam step are then a smooth function of the stored values and
the mask, and a correct float32 implementation meets the pass rule against it. That the masks themselves are right
is checked separately: an element may disagree with float64's own decision only where float64's pre-activation is
within rounding of 0 (`mask_report`).

  train_replay.py relu-nodes CASE                   the ReLU nodes of a graph case, comma-separated
  train_replay.py conditioning CASE [CASE ...]      PyTorch float32 against float64, plain and replaying float32's
                                                    masks: worst max|err| / tol per group (is the replay fair?)
  train_replay.py check DIR --java CMD [--only A,B] [--timeout S]
        the training check of zoo_check.py's TRAIN_MODELS (cases from `zoo_check.py train-export DIR`): runs
        `CMD conformance --backend cpu --save-trained DIR/trained --save-computed DIR/computed DIR/NAME.case...`,
        then per model compares what Java computed (output, grad_input, grad.*, after.*) with float64 replaying
        Java's own ReLU decisions, checks those decisions differ from float64's only at rounding ties, and
        compares the stepped model PyTorch loads back (torch_models.load) with torch.optim.Adam applied in float64
        to Java's gradients; the end-to-end Adam step against the plain float64 reference is printed beside it
  train_replay.py selftest [CASE]                   check_one's own test on a graph fixture (default residual_train)
  train_replay.py replay CASE MASKS OUT             OUT: CASE with its expected tensors (output, grad_input, grad.*,
                                                    after.*, adam.*) recomputed in float64 with the masks in MASKS
                                                    (a safetensors file of the ReLU nodes' float32 outputs, by node
                                                    name, e.g. from `layers4j run --train --return-nodes ...`);
                                                    prints the mask report

Run with /usr/bin/python3 (Debian's PyTorch 1.13).
"""
import argparse, copy, json, os, sys
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402
from zoo_check import TRAIN_MODELS, group_of  # noqa: E402

RELU_FUNCTIONS = (F.relu, torch.relu, torch.relu_)


def relu_nodes(gm):
    """The names of the graph's ReLU nodes (nn.ReLU calls, F.relu / torch.relu, Tensor.relu), in graph order."""
    out = []
    for n in gm.graph.nodes:
        if n.op == "call_module" and isinstance(gm.get_submodule(n.target), nn.ReLU):
            out.append(n.name)
        elif n.op == "call_function" and n.target in RELU_FUNCTIONS:
            out.append(n.name)
        elif n.op == "call_method" and n.target in ("relu", "relu_"):
            out.append(n.name)
    return out


class _Recorder(torch.fx.Interpreter):
    """Runs the graph; keeps every ReLU node's input (the pre-activation) and output."""

    def __init__(self, gm, names):
        super().__init__(gm)
        self.names, self.pre, self.post = set(names), {}, {}

    def run_node(self, n):
        out = super().run_node(n)
        if n.name in self.names:
            self.post[n.name] = out.detach().clone()
        return out

    def fetch_args_kwargs_from_env(self, n):
        args, kwargs = super().fetch_args_kwargs_from_env(n)
        if n.name in self.names:
            self.pre[n.name] = args[0].detach().clone()  # before an in-place ReLU overwrites it
        return args, kwargs


class _Replay(torch.fx.Interpreter):
    """Runs the graph with each ReLU node replaced by input * mask."""

    def __init__(self, gm, masks):
        super().__init__(gm)
        self.masks = masks

    def run_node(self, n):
        if n.name not in self.masks:
            return super().run_node(n)
        args, _ = self.fetch_args_kwargs_from_env(n)
        x = args[0]
        m = self.masks[n.name]
        if m.shape != x.shape:
            raise ValueError("mask of node %r has shape %s, its input %s" % (n.name, tuple(m.shape), tuple(x.shape)))
        return x * m.to(x.dtype)


def named_outputs(y):
    import graph_cases as gc_
    return gc_._named_outputs(y)


def training_run(gm, x, gy, dtype, masks=None, adam=None, record=None):
    """Training-mode forward and backward of a copy of gm in dtype: {output(s), grad_input, grad.*, after.*,
    adam.*}; with masks, the ReLU nodes replay them; with record (a list of names), their pre-activations and
    outputs are returned as well ({"pre": {...}, "post": {...}})."""
    m = copy.deepcopy(gm).to(dtype).train()
    xr = x.detach().clone().to(dtype).requires_grad_(True)
    if masks is not None:
        y = _Replay(m, masks).run(xr)
    elif record is not None:
        rec = _Recorder(m, record)
        y = rec.run(xr)
    else:
        y = m(xr)
    y = named_outputs(y)
    single = list(y) == ["output"]
    key = lambda k: "output" if single else "output." + k  # noqa: E731
    gkey = lambda k: "grad_output" if single else "grad_output." + k  # noqa: E731
    sum((v * gy[gkey(k)].to(dtype)).sum() for k, v in y.items()).backward()
    d = {key(k): v.detach() for k, v in y.items()}
    d["grad_input"] = xr.grad
    d.update({"grad." + k: (p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in m.named_parameters()})
    d.update({"after." + k: b.detach().clone() for k, b in m.named_buffers()})
    if adam is not None:
        opt = torch.optim.Adam(m.parameters(), lr=adam["lr"], betas=tuple(adam["betas"]), eps=adam["eps"],
                               weight_decay=adam["weight_decay"])
        opt.step()
        d.update({"adam." + k: p.detach().clone() for k, p in m.named_parameters()})
    if record is not None and masks is None:
        d["__recorded__"] = {"pre": rec.pre, "post": rec.post}
    return d


def load_case(path):
    case, meta = tm.read_safetensors(path)
    gm = tm.load(path, strict=False)
    adam = json.loads(meta["adam"]) if "adam" in meta else None
    gy = {k: v for k, v in case.items() if k.startswith("grad_output")}
    return case, meta, gm, adam, gy


def worst_by_group(actual, expected):
    """{group: (ratio, tensor)}: the worst tensor of each group by the pass rule, ratio = max|err| / tol."""
    worst = {}
    for k, (err, tol) in rule_errors(actual, {k: e for k, e in expected.items() if not k.startswith("__")}).items():
        g = group_of(k)
        worst[g] = max(worst.get(g, (-1.0, "")), (err / tol, k))
    return worst


def mask_report(masks, pre64):
    """How a float32 run's ReLU decisions differ from float64's own: per node with any difference, the count and
    the largest |float64 pre-activation| among the disagreeing elements, relative to the node's max |pre|.
    Returns (total elements, total disagreements, worst relative |pre| at a disagreement, lines)."""
    total, flips, worst, lines = 0, 0, 0.0, []
    for name, m in masks.items():
        p = pre64[name]
        own = p > 0
        diff = own != m
        total += m.numel()
        k = int(diff.sum())
        if k:
            rel = (p[diff].abs().max() / p.abs().max().clamp_min(1e-300)).item()
            worst = max(worst, rel)
            flips += k
            lines.append("  %-28s %d of %d differ; max |pre| there %.3g (%.3g of the node's max |pre|)"
                         % (name, k, m.numel(), p[diff].abs().max().item(), rel))
    return total, flips, worst, lines


def adam_on(gm, case, grads, adam):
    """torch.optim.Adam's first step, in float64, from the case's stored parameters with the given gradients."""
    m = copy.deepcopy(gm).to(torch.float64)
    for k, p in m.named_parameters():
        p.grad = grads["grad." + k].to(torch.float64)
    opt = torch.optim.Adam(m.parameters(), lr=adam["lr"], betas=tuple(adam["betas"]), eps=adam["eps"],
                           weight_decay=adam["weight_decay"])
    opt.step()
    return {"adam." + k: p.detach().clone() for k, p in m.named_parameters()}


def rule_errors(actual, expected):
    """{tensor: (max|err|, tol)} by the pass rule (int64: 0 if equal, else inf)."""
    out = {}
    for k, e in expected.items():
        a = actual.get(k)
        if a is None or a.shape != e.shape:
            out[k] = (float("inf"), 1.0)
        elif e.dtype == torch.int64:
            out[k] = (0.0 if torch.equal(a, e) else float("inf"), 1.0)
        else:
            e64 = e.to(torch.float64)
            err = (a.to(torch.float64) - e64).abs().max().item() if e.numel() else 0.0
            out[k] = (err, 1e-4 * max(1.0, e64.abs().max().item() if e.numel() else 0.0))
    return out


def check_one(case_path, computed_path, trained_path, max_tie):
    """One model: {group: (Java ratio, tensor, PyTorch float32 ratio on that tensor, passes)}, the mask report.

    Reference: float64 replaying Java's ReLU decisions. A tensor passes when Java's error is within the pass
    rule widened by PyTorch float32's own error on it (PyTorch float32 replaying the same decisions against the
    same reference): max|java - ref| <= tol + max|torch32 - ref|, i.e. Java ratio <= 1 + PyTorch ratio. Where
    float32 can meet the rule this is the rule; where PyTorch's own float32 cannot (deep ReLU + training-mode
    BatchNorm nets), Java must be no further from float64 than PyTorch float32 is, plus the rule."""
    case, meta, gm, adam, gy = load_case(case_path)
    java, _ = tm.read_safetensors(computed_path)
    names = relu_nodes(gm)
    missing = [n for n in names if "relu." + n not in java]
    if missing:
        raise ValueError("%s has no relu.<node> for %s" % (computed_path, ", ".join(missing[:5])))
    masks = {n: java["relu." + n] > 0 for n in names}
    plain = training_run(gm, case["input"], gy, torch.float64, adam=adam, record=names)
    total, flips, worst_tie, lines = mask_report(masks, plain.pop("__recorded__")["pre"])
    ref = training_run(gm, case["input"], gy, torch.float64, masks=masks) if names else plain
    torch32 = training_run(gm, case["input"], gy, torch.float32, masks=masks if names else None)
    compared = {k: v for k, v in ref.items() if k in java and group_of(k) in ("output", "grad_input", "grad", "after")}
    ej, et = rule_errors(java, compared), rule_errors(torch32, compared)
    w = {}
    for k, (err, tol) in ej.items():
        jr, tr_ = err / tol, et[k][0] / tol
        ok = err <= tol + et[k][0]
        g = group_of(k)
        # the worst tensor of the group: a failing one first, then by Java's ratio
        w[g] = max(w.get(g, (-1.0, "", 0.0, True)), (jr, k, tr_, ok), key=lambda v: (not v[3], v[0]))
    if adam is not None and trained_path is not None:
        stepped = {"adam." + k: v for k, v in tm.load(trained_path).state_dict().items()}
        r, k = worst_by_group(stepped, adam_on(gm, case, java, adam))["adam"]
        w["adam (Java's gradients)"] = (r, k, float("nan"), r <= 1)
        r, k = worst_by_group(stepped, {k: v for k, v in plain.items() if k.startswith("adam.")})["adam"]
        w["adam end-to-end"] = (r, k, float("nan"), True)  # informational: Adam amplifies gradient rounding
    w["masks"] = (worst_tie / max_tie, "%d of %d differ" % (flips, total), float("nan"), worst_tie <= max_tie)
    return w, lines


def cmd_check(a):
    import shlex, subprocess, time
    names = a.only.split(",") if a.only else TRAIN_MODELS
    trained, computed = os.path.join(a.dir, "trained"), os.path.join(a.dir, "computed")
    cases = [os.path.join(a.dir, n + ".case.safetensors") for n in names]
    for n in names:  # a stale file must not pass
        for f in (os.path.join(trained, n + ".case.safetensors"), os.path.join(computed, n + ".case.computed.safetensors")):
            if os.path.exists(f):
                os.remove(f)
    cmd = shlex.split(a.java) + ["conformance", "--backend", "cpu", "--save-trained", trained,
                                 "--save-computed", computed] + cases
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    print("java conformance against the plain float64 reference (rc %d, %.0fs):" % (r.returncode, time.time() - t))
    for line in r.stdout.splitlines():
        print("  " + (line if len(line) < 160 else line[:160] + " ..."))
    if r.stderr.strip():
        print(r.stderr.rstrip()[-2000:], file=sys.stderr)
    groups = ["output", "grad_input", "grad", "after", "adam (Java's gradients)", "masks", "adam end-to-end"]
    rows, failed = [], 0
    for n, c in zip(names, cases):
        try:
            w, lines = check_one(c, os.path.join(computed, n + ".case.computed.safetensors"),
                                 os.path.join(trained, n + ".case.safetensors"), a.max_tie)
        except (OSError, ValueError) as e:
            failed += 1
            rows.append("%-20s FAIL  %s" % (n, e))
            continue
        ok = all(v[3] for v in w.values())
        failed += not ok

        def cell(g):
            r, k, t, good = w[g]
            return "%s %.3g%s%s%s" % (g, r, "" if t != t else " (torch %.3g)" % t, "" if good else " FAIL",
                                      " [%s]" % k if (r > 1 or g == "masks") else "")
        rows.append("%-20s %-5s %s" % (n, "pass" if ok else "FAIL", "  ".join(cell(g) for g in groups if g in w)))
        if lines:
            rows.extend("    " + x.strip() for x in lines[:5])
    print("\nworst max|err| / tol per group against float64 replaying Java's ReLU decisions, with PyTorch float32's"
          " on the same tensor (same decisions) in brackets; a tensor passes when Java <= 1 + PyTorch's. adam (Java's"
          " gradients): the model PyTorch loads back against torch.optim.Adam on Java's gradients (<= 1). masks:"
          " worst |float64 pre-activation| at a differing ReLU decision over --max-tie %.0e of its node's max (<= 1)."
          " adam end-to-end: against the plain float64 reference's step (informational)" % a.max_tie)
    print("\n".join(rows))
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


def cmd_selftest(a):
    """check_one on a graph fixture with PyTorch float32 standing in for Java: passes as computed, fails for a
    gradient moved by 10x the rule, a wrong ReLU decision away from 0 and a missing ReLU node."""
    import tempfile
    path = a.case
    case, meta, gm, adam, gy = load_case(path)
    names = relu_nodes(gm)
    assert names, "the self test needs a graph with ReLU nodes"
    f32 = training_run(gm, case["input"], gy, torch.float32, record=names)
    rec = f32.pop("__recorded__")
    computed = {k: v for k, v in f32.items() if not k.startswith("adam.")}
    computed.update({"relu." + k: v for k, v in rec["post"].items()})

    def run(tensors):
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "c.safetensors")
            tm.write_safetensors(f, {k: v.contiguous() for k, v in tensors.items()}, {})
            w, _ = check_one(path, f, None, 1e-4)
            return all(v[3] for v in w.values()), w

    ok, w = run(computed)
    assert ok, "float32 as computed must pass: %s" % w
    g = sorted(k for k in computed if k.startswith("grad."))[0]
    bad = dict(computed)
    bad[g] = computed[g] + 1e-3 * max(1.0, computed[g].abs().max().item())
    ok, w = run(bad)
    assert not ok and not w["grad"][3], "a gradient off by 10x the rule passed"
    name = names[0]
    pre = rec["pre"][name]
    i = int((pre.abs() == pre.abs().max()).flatten().nonzero()[0])  # the element farthest from 0
    bad = dict(computed)
    flipped = computed["relu." + name].clone().flatten()
    flipped[i] = 0.0 if flipped[i] > 0 else 1.0
    bad["relu." + name] = flipped.view(computed["relu." + name].shape)
    ok, w = run(bad)
    assert not ok and not w["masks"][3], "a ReLU decision at the largest |pre| passed as a tie"
    bad = {k: v for k, v in computed.items() if k != "relu." + name}
    try:
        run(bad)
        raise AssertionError("a missing ReLU node passed")
    except ValueError:
        pass
    print("selftest passed (%s: %d ReLU nodes)" % (os.path.basename(path), len(names)))
    return 0


def cmd_relu_nodes(a):
    print(",".join(relu_nodes(tm.load(a.case, strict=False))))
    return 0


def cmd_conditioning(a):
    for path in a.cases:
        case, meta, gm, adam, gy = load_case(path)
        names = relu_nodes(gm)
        f32 = training_run(gm, case["input"], gy, torch.float32, adam=adam, record=names)
        masks = {k: v > 0 for k, v in f32.pop("__recorded__")["post"].items()}
        f64 = training_run(gm, case["input"], gy, torch.float64, adam=adam, record=names)
        pre64 = f64.pop("__recorded__")["pre"]
        r64 = training_run(gm, case["input"], gy, torch.float64, masks=masks, adam=adam)
        total, flips, worst, _ = mask_report(masks, pre64)
        for label, ref in (("plain float64", f64), ("float64 + float32 masks", r64)):
            w = worst_by_group(f32, ref)
            print("%-28s %-24s %s" % (os.path.basename(path), label, "  ".join(
                "%s %.3g (%s)" % (g, v[0], v[1]) for g, v in sorted(w.items()))), flush=True)
        print("%-28s masks: %d of %d float32 ReLU decisions differ from float64's; worst |pre| there %.3g of its "
              "node's max" % ("", flips, total, worst), flush=True)
    return 0


def cmd_replay(a):
    case, meta, gm, adam, gy = load_case(a.case)
    names = relu_nodes(gm)
    got, _ = tm.read_safetensors(a.masks)
    missing = [n for n in names if n not in got]
    if missing:
        sys.exit("%s has no tensor for ReLU node(s) %s" % (a.masks, ", ".join(missing[:10])))
    masks = {n: got[n] > 0 for n in names}
    plain = training_run(gm, case["input"], gy, torch.float64, record=names)
    total, flips, worst, lines = mask_report(masks, plain["__recorded__"]["pre"])
    print("masks of %s: %d of %d ReLU decisions differ from float64's own; worst |pre| at one %.3g of its node's max"
          % (a.masks, flips, total, worst))
    print("\n".join(lines[:40]))
    if worst > a.max_tie:
        sys.exit("a differing ReLU decision at |pre| %.3g of its node's max, above --max-tie %.3g: not a rounding tie"
                 % (worst, a.max_tie))
    ref = training_run(gm, case["input"], gy, torch.float64, masks=masks, adam=adam)
    out = dict(case)
    for k, v in ref.items():
        if k in out and not k.startswith("__"):
            out[k] = (v if v.dtype == torch.int64 else v.to(torch.float32)).contiguous()
    meta = dict(meta)
    meta["reference"] = meta.get("reference", "") + "; float64 replaying the ReLU masks of " + os.path.basename(a.masks)
    tm.write_safetensors(a.out, out, meta)
    print("wrote %s" % a.out)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("relu-nodes")
    s.add_argument("case")
    s = sub.add_parser("conditioning")
    s.add_argument("cases", nargs="+")
    s = sub.add_parser("replay")
    s.add_argument("case")
    s.add_argument("masks")
    s.add_argument("out")
    s.add_argument("--max-tie", type=float, default=1e-4,
                   help="the largest |float64 pre-activation| (relative to its node's max) at which a differing "
                        "decision still counts as a rounding tie (default 1e-4)")
    s = sub.add_parser("selftest")
    s.add_argument("case", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                                                           "graphs", "residual_train.safetensors"))
    s = sub.add_parser("check")
    s.add_argument("dir")
    s.add_argument("--java", required=True, help="the layers4j command, e.g. ./layers4j")
    s.add_argument("--only", help="comma-separated models (default: zoo_check.py's TRAIN_MODELS)")
    s.add_argument("--timeout", type=float, default=3600)
    s.add_argument("--max-tie", type=float, default=1e-4)
    a = p.parse_args()
    return {"relu-nodes": cmd_relu_nodes, "conditioning": cmd_conditioning, "replay": cmd_replay,
            "check": cmd_check, "selftest": cmd_selftest}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
