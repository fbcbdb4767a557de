#!/usr/bin/env python3
"""PyTorch side of the layers4j model file: one safetensors file holding an nn.Sequential.

Tensors: the model's state_dict (parameters and buffers by PyTorch's names, `0.weight`,
`1.running_mean`, `1.num_batches_tracked` as I64, ...), F32 and I64 little-endian.
`__metadata__`: {"format": "pt", "op": "sequential", "layers": "<JSON list>"}, one object per child,
`{"op": <lower-case class name>, <every constructor argument by its PyTorch name, as PyTorch
resolved it>}` -- the format of the `sequential` fixtures (fixtures/gen_layers.py, fixtures/README.md).

Plain PyTorch (Debian's python3-torch 1.13, with numpy), no safetensors package.

  torch_models.py export-example OUT.safetensors [--example lenet|textcnn|vgg_bn|vgg11_bn|embed_mlp] [--seed N] [--input IN]
  torch_models.py run MODEL.safetensors INPUT.safetensors OUT.safetensors   (eval mode, `input` -> `output`)
  torch_models.py roundtrip MODEL.safetensors   (load, save again, compare the state dicts byte for byte)
  torch_models.py selftest
"""
import argparse, json, os, struct, sys, tempfile
import numpy as np
import torch
import torch.nn as nn

# op name -> (class, constructor arguments in PyTorch's names); the same table as fixtures/gen_layers.py
OPS = {
    "linear": (nn.Linear, ["in_features", "out_features", "bias"]),
    "maxpool1d": (nn.MaxPool1d, ["kernel_size", "stride", "padding", "dilation", "ceil_mode"]),
    "maxpool2d": (nn.MaxPool2d, ["kernel_size", "stride", "padding", "dilation", "ceil_mode"]),
    "avgpool1d": (nn.AvgPool1d, ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]),
    "avgpool2d": (nn.AvgPool2d, ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"]),
    "adaptiveavgpool1d": (nn.AdaptiveAvgPool1d, ["output_size"]),
    "adaptiveavgpool2d": (nn.AdaptiveAvgPool2d, ["output_size"]),
    "adaptivemaxpool2d": (nn.AdaptiveMaxPool2d, ["output_size"]),
    "batchnorm1d": (nn.BatchNorm1d, ["num_features", "eps", "momentum", "affine", "track_running_stats"]),
    "batchnorm2d": (nn.BatchNorm2d, ["num_features", "eps", "momentum", "affine", "track_running_stats"]),
    "flatten": (nn.Flatten, ["start_dim", "end_dim"]),
    "dropout": (nn.Dropout, ["p"]),
    "softmax": (nn.Softmax, ["dim"]),
    "logsoftmax": (nn.LogSoftmax, ["dim"]),
    "embedding": (nn.Embedding, ["num_embeddings", "embedding_dim", "padding_idx"]),
    "sigmoid": (nn.Sigmoid, []),
    "tanh": (nn.Tanh, []),
    "leakyrelu": (nn.LeakyReLU, ["negative_slope"]),
    "relu": (nn.ReLU, []),
    "conv1d": (nn.Conv1d, ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"]),
    "conv2d": (nn.Conv2d, ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"]),
}
OP_OF = {cls: op for op, (cls, _) in OPS.items()}
WRITE_DT = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}
READ_DT = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2), "F64": ("<f8", 8), "I64": ("<i8", 8)}


def write_safetensors(path, tensors, metadata):
    """tensors: name -> tensor of a dtype in WRITE_DT (save() passes only F32 and I64); metadata: str -> str."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in WRITE_DT:
            raise ValueError("tensor %r has dtype %s; can write only %s" % (name, t.dtype, list(WRITE_DT)))
        a = t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy()
        data = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": WRITE_DT[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = dict(metadata)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def read_safetensors(path):
    """(tensors, metadata): F32/F16/BF16/F64 become float32 tensors, I64 int64; the data must be covered exactly."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("%s: not a safetensors file (%d bytes)" % (path, len(raw)))
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError("%s: header length %d does not fit the file" % (path, n))
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    metadata, tensors, ranges = header.pop("__metadata__", None) or {}, {}, []
    for name, info in header.items():
        if info.get("dtype") not in READ_DT:
            raise ValueError("%s: tensor %r has dtype %s; can read only %s" % (path, name, info.get("dtype"), list(READ_DT)))
        np_dt, size = READ_DT[info["dtype"]]
        shape, (begin, end) = info["shape"], info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * size or end > len(data):
            raise ValueError("%s: tensor %r has data_offsets %s that do not hold %s %s" % (path, name, [begin, end], shape, info["dtype"]))
        a = np.frombuffer(data, dtype=np_dt, count=count, offset=begin)
        if info["dtype"] == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        a = a.astype(np.int64 if info["dtype"] == "I64" else np.float32)
        tensors[name] = torch.from_numpy(a.copy()).reshape(shape)
        ranges.append((begin, end, name))
    at = 0
    for begin, end, name in sorted(ranges):
        if begin != at:
            raise ValueError("%s: tensor %r at %d: the tensors must cover the data exactly (expected offset %d)" % (path, name, begin, at))
        at = end
    if at != len(data):
        raise ValueError("%s: %d trailing bytes after the last tensor" % (path, len(data) - at))
    return tensors, metadata


def describe(module):
    """The layers entry of one child: its op and every constructor argument, as PyTorch resolved it."""
    op = OP_OF.get(type(module))
    if op is None:
        raise TypeError("cannot describe a %s in a layers4j model file; supported: %s"
                        % (type(module).__name__, ", ".join(c.__name__ for c in OP_OF)))
    if op == "embedding" and (module.max_norm is not None or module.scale_grad_by_freq or module.sparse):
        raise TypeError("cannot describe an Embedding with max_norm, scale_grad_by_freq or sparse set")
    out = {"op": op}
    for k in OPS[op][1]:
        v = (module.bias is not None) if k == "bias" else getattr(module, k)
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def build(spec):
    if spec.get("op") not in OPS:
        raise ValueError("unknown op %r in layers; supported: %s" % (spec.get("op"), ", ".join(OPS)))
    cls, keys = OPS[spec["op"]]
    unknown = set(spec) - set(keys) - {"op"}
    if unknown:
        raise ValueError("op %s has no argument(s) %s; it takes %s" % (spec["op"], sorted(unknown), keys))
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k != "op"})


def save(model, path):
    if not isinstance(model, nn.Sequential):
        raise TypeError("save() takes an nn.Sequential, not a %s" % type(model).__name__)
    layers = [describe(m) for m in model]
    tensors = {}
    for k, v in model.state_dict().items():
        if v.dtype == torch.int64:
            tensors[k] = v
        elif v.is_floating_point():
            tensors[k] = v.to(torch.float32)
        else:
            raise TypeError("state_dict entry %r has dtype %s; a model file holds float32 and int64" % (k, v.dtype))
    write_safetensors(path, tensors, {"format": "pt", "op": "sequential", "layers": json.dumps(layers)})


def load(path, strict=True):
    """The nn.Sequential of a model file, its state_dict loaded (strict: the file holds exactly its tensors)."""
    tensors, meta = read_safetensors(path)
    if meta.get("op") != "sequential" or "layers" not in meta:
        raise ValueError("%s: not a layers4j model file (metadata op %r, want 'sequential' with 'layers')" % (path, meta.get("op")))
    model = nn.Sequential(*[build(s) for s in json.loads(meta["layers"])])
    if not strict:  # e.g. a fixture, which also holds input, output and gradients
        tensors = {k: v for k, v in tensors.items() if k in model.state_dict()}
    model.load_state_dict(tensors, strict=True)
    return model


def example(name, seed):
    """(model with random parameters and buffers, an input for it)."""
    g = torch.Generator().manual_seed(seed)
    if name == "lenet":
        model, shape = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                                     nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                                     nn.Sigmoid(), nn.Linear(84, 10), nn.LogSoftmax(dim=1)), (2, 1, 28, 28)
    elif name == "textcnn":
        model, shape = nn.Sequential(nn.Conv1d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool1d(24), nn.Flatten(),
                                     nn.Dropout(0.5), nn.Linear(16, 2), nn.LogSoftmax(dim=1)), (2, 8, 24)
    elif name == "vgg_bn":
        model, shape = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16, momentum=None), nn.LeakyReLU(0.1),
                                     nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                     nn.BatchNorm1d(16), nn.Linear(16, 5), nn.Softmax(dim=1)), (2, 3, 16, 16)
    elif name == "vgg11_bn":
        # VGG-11 with batch norm for 32x32 images (CIFAR-10): torchvision's vgg11_bn features, a 512-wide classifier
        layers, c = [], 3
        for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                c = v
        layers += [nn.Flatten(), nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(),
                   nn.Dropout(0.5), nn.Linear(512, 10)]
        model, shape = nn.Sequential(*layers), (8, 3, 32, 32)
    elif name == "embed_mlp":
        model, shape = nn.Sequential(nn.Embedding(20, 6, padding_idx=0), nn.Flatten(), nn.Linear(30, 8), nn.Tanh(),
                                     nn.Linear(8, 3)), (2, 5)
    else:
        raise ValueError("unknown example %r; choose lenet, textcnn, vgg_bn, vgg11_bn or embed_mlp" % name)
    with torch.no_grad():
        for k, p in model.named_parameters():
            # vgg11_bn: He-scaled weights, so activations keep their size through 11 layers
            scale = (2.0 / p[0].numel()) ** 0.5 if name == "vgg11_bn" and p.dim() > 1 else (0.5 if p.dim() > 1 else 0.3)
            p.copy_(torch.randn(p.shape, generator=g) * scale)
        for k, b in model.named_buffers():
            if k.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=g) * 0.2)
            elif k.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=g) + 0.5)
            elif k.endswith("num_batches_tracked"):
                b.fill_(3)
    x = torch.randint(0, 20, shape, generator=g) if name == "embed_mlp" else torch.randn(shape, generator=g)
    return model, x


def run(model_path, input_path, out_path):
    model = load(model_path).eval()
    tensors, _ = read_safetensors(input_path)
    if "input" not in tensors:
        raise ValueError("%s holds no tensor 'input' (it holds %s)" % (input_path, list(tensors)))
    with torch.no_grad():
        y = model(tensors["input"])
    write_safetensors(out_path, {"output": y}, {"format": "pt", "reference": "torch %s float32 eval" % torch.__version__})
    return y


def same_state(a, b):
    """Names, order, dtypes, shapes and bytes equal; returns the list of differences."""
    diffs = [] if list(a) == list(b) else ["names differ: %s vs %s" % (list(a), list(b))]
    for k in a:
        if k in b and (a[k].dtype != b[k].dtype or a[k].shape != b[k].shape or a[k].numpy().tobytes() != b[k].numpy().tobytes()):
            diffs.append("tensor %r differs" % k)
    return diffs


def roundtrip(path, strict=True):
    """Load, save again, and compare the state dicts byte for byte (and the layers, which must be a fixpoint)."""
    with tempfile.TemporaryDirectory() as d:
        first, second = os.path.join(d, "a.safetensors"), os.path.join(d, "b.safetensors")
        model = load(path, strict)
        save(model, first)
        save(load(first), second)
        original = {k: v for k, v in read_safetensors(path)[0].items() if strict or k in model.state_dict()}
        diffs = same_state(original, read_safetensors(first)[0])
        if read_safetensors(first)[1] != read_safetensors(second)[1]:
            diffs.append("the layers do not describe themselves again identically")
        same_layers = json.loads(read_safetensors(path)[1]["layers"]) == json.loads(read_safetensors(first)[1]["layers"])
    return diffs, same_layers


def selftest():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "m.safetensors")
        for name in ["lenet", "textcnn", "vgg_bn", "embed_mlp"]:
            model, x = example(name, 7)
            save(model, p)
            diffs, same_layers = roundtrip(p)
            assert not diffs and same_layers, (name, diffs)
            back = load(p)
            assert not same_state(model.state_dict(), back.state_dict()), name
            with torch.no_grad():
                assert torch.equal(model.eval()(x), back.eval()(x)), name
            write_safetensors(os.path.join(d, "in.safetensors"), {"input": x}, {})
            y = run(p, os.path.join(d, "in.safetensors"), os.path.join(d, "out.safetensors"))
            assert torch.equal(read_safetensors(os.path.join(d, "out.safetensors"))[0]["output"], y), name
            # the same state dict stored as F16 / BF16 / F64 loads as those values in float32
            for dt in [torch.float16, torch.bfloat16, torch.float64]:
                sd = {k: v if v.dtype == torch.int64 else v.to(dt) for k, v in model.state_dict().items()}
                q = os.path.join(d, WRITE_DT[dt] + ".safetensors")
                write_safetensors(q, sd, {"op": "sequential", "layers": json.dumps([describe(m) for m in model])})
                got = load(q).state_dict()
                assert all(torch.equal(got[k], v.to(got[k].dtype)) for k, v in sd.items()), (name, dt)
            print("ok  %-9s %d tensors, %d layers" % (name, len(model.state_dict()), len(model)))
        # every op, with non-default arguments, describes and rebuilds itself identically
        every = nn.Sequential(nn.MaxPool1d(3, 2, 1, 2, True), nn.MaxPool2d((2, 3), (1, 2), (1, 0)), nn.AvgPool1d(4, 2, 2, True, False),
                              nn.AvgPool2d(3, 2, 1, True, False, 5), nn.AdaptiveAvgPool1d(5), nn.AdaptiveAvgPool2d((3, None)),
                              nn.AdaptiveMaxPool2d((2, 3)), nn.BatchNorm1d(4, 1e-3, None, False, False), nn.Flatten(2, 3),
                              nn.Dropout(0.25), nn.Softmax(-1), nn.LogSoftmax(0), nn.Embedding(10, 4, padding_idx=-1), nn.LeakyReLU(0.2),
                              nn.Conv1d(4, 6, 3, 2, "valid", 2, 2, False, "reflect"), nn.Conv2d(2, 4, (3, 1), padding="same", padding_mode="circular"),
                              nn.Linear(3, 2, bias=False), nn.Sigmoid(), nn.Tanh(), nn.ReLU())
        assert [describe(build(describe(m))) for m in every] == [describe(m) for m in every]
        save(every, p)
        assert not same_state(every.state_dict(), load(p).state_dict())
        assert describe(every[12])["padding_idx"] == 9
        for bad in [nn.Sequential(nn.GELU()), nn.Sequential(nn.Sequential(nn.ReLU())), nn.Linear(2, 2)]:
            try:
                save(bad, p)
                raise AssertionError("saved %s" % bad)
            except TypeError as e:
                assert "cannot describe" in str(e) or "nn.Sequential" in str(e), e
        print("ok  every op describes and rebuilds itself; GELU, nested Sequential and a bare Linear are refused")
        fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "layers")
        for name in ["seq_lenet", "seq_vgg_bn_eval", "seq_textcnn_body"]:  # the fixtures' models are model files too
            f = os.path.join(fixtures, name + ".safetensors")
            if os.path.exists(f):
                t, meta = read_safetensors(f)
                with torch.no_grad():
                    y = load(f, strict=False).eval()(t["input"])
                err = (y - t["output"]).abs().max().item()
                assert err <= 1e-4 * max(1.0, t["output"].abs().max().item()), (name, err)
                assert not roundtrip(f, strict=False)[0], name
                print("ok  fixture %s: round trip, and output within the pass rule (max |diff| %.2e)" % (name, err))
    print("selftest passed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export-example")
    e.add_argument("out")
    e.add_argument("--example", default="lenet", choices=["lenet", "textcnn", "vgg_bn", "vgg11_bn", "embed_mlp"])
    e.add_argument("--seed", type=int, default=20261201)
    e.add_argument("--input", help="also write a random input for the model here, as tensor 'input'")
    r = sub.add_parser("run")
    for a in ["model", "input", "out"]:
        r.add_argument(a)
    rt = sub.add_parser("roundtrip")
    rt.add_argument("model")
    rt.add_argument("--lenient", action="store_true", help="ignore tensors that are not the model's (e.g. a fixture's input)")
    sub.add_parser("selftest")
    a = ap.parse_args()
    try:
        command(a)
    except (ValueError, TypeError, RuntimeError, OSError, KeyError) as e:
        sys.exit("torch_models.py %s: %s: %s" % (a.cmd, type(e).__name__, e))


def command(a):
    if a.cmd == "export-example":
        model, x = example(a.example, a.seed)
        save(model, a.out)
        if a.input:
            write_safetensors(a.input, {"input": x}, {})
        print("wrote %s (%s, %d tensors)" % (a.out, a.example, len(model.state_dict())))
    elif a.cmd == "run":
        y = run(a.model, a.input, a.out)
        print("wrote %s: output %s" % (a.out, list(y.shape)))
    elif a.cmd == "roundtrip":
        diffs, same_layers = roundtrip(a.model, strict=not a.lenient)
        print("\n".join(diffs) if diffs else "state dict bytes-equal after load and save")
        if not same_layers:
            print("note: the layers are spelled differently after a save (PyTorch-resolved values, e.g. 1 -> [1, 1])")
        sys.exit(1 if diffs else 0)
    else:
        selftest()


if __name__ == "__main__":
    main()
