#!/usr/bin/env python3
"""PyTorch side of the layers4j model file: one safetensors file holding a model (docs/model-format.md).

Tensors: the model's state_dict (parameters and buffers by PyTorch's names, `0.weight`,
`1.running_mean`, `1.num_batches_tracked` as I64, ...), F32 and I64 little-endian.
`__metadata__`: {"format": "pt", "op": "sequential", "layers": "<JSON list>"} for a plain nn.Sequential of
format-1 layers, one object per child, `{"op": <lower-case class name>, <every constructor argument by its
PyTorch name, as PyTorch resolved it>}` -- the format of the `sequential` fixtures (fixtures/gen_layers.py,
fixtures/README.md); {"format": "pt", "op": "graph", "graph": "<JSON object>"} for any other module that
torch.fx can trace: its leaf modules' specs and its eval-mode fx graph, mapped to one op registry.

Plain PyTorch (Debian's python3-torch 1.13, with numpy; torchvision for its models), no safetensors package.

  torch_models.py export-example OUT.safetensors [--example lenet|textcnn|vgg_bn|vgg11_bn|embed_mlp] [--seed N] [--input IN]
  torch_models.py export-torchvision NAME OUT.safetensors [--num-classes N] [--seed S]   (see torchvision_model)
  torch_models.py run MODEL.safetensors INPUT.safetensors OUT.safetensors   (eval mode, `input` -> `output`, or one
                                                                            tensor per key of a dict output)
  torch_models.py roundtrip MODEL.safetensors   (load, save again, compare the state dicts byte for byte)
  torch_models.py selftest
"""
import argparse, builtins, contextlib, dis, inspect, json, math, operator, os, struct, sys, tempfile
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
SEQUENTIAL_OPS = frozenset(OPS)  # format 1: a Sequential of only these is still written as `sequential`
_CONVT = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode"]
OPS.update({  # leaf modules of graphs (docs/model-format.md)
    "relu6": (nn.ReLU6, []),
    "silu": (nn.SiLU, []),
    "hardswish": (nn.Hardswish, []),
    "hardsigmoid": (nn.Hardsigmoid, []),
    "hardtanh": (nn.Hardtanh, ["min_val", "max_val"]),
    "gelu": (nn.GELU, ["approximate"]),
    "identity": (nn.Identity, []),
    "layernorm": (nn.LayerNorm, ["normalized_shape", "eps", "elementwise_affine"]),
    "groupnorm": (nn.GroupNorm, ["num_groups", "num_channels", "eps", "affine"]),
    "convtranspose1d": (nn.ConvTranspose1d, _CONVT),
    "convtranspose2d": (nn.ConvTranspose2d, _CONVT),
    "upsample": (nn.Upsample, ["size", "scale_factor", "mode", "align_corners"]),
    "dropout2d": (nn.Dropout2d, ["p"]),
})
OP_OF = {cls: op for op, (cls, _) in OPS.items()}
FLOAT_ARGS = {"p", "eps", "momentum", "negative_slope", "min_val", "max_val", "scale_factor"}  # written as JSON floats
WRITE_DT = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}
READ_DT = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2), "F64": ("<f8", 8), "I64": ("<i8", 8)}


def write_safetensors(path, tensors, metadata):
    """tensors: name -> tensor of a dtype in WRITE_DT (save() passes only F32 and I64); metadata: str -> str."""
    header, offset, tensors = {}, 0, {k: t.detach().cpu() for k, t in tensors.items()}
    for name, t in tensors.items():
        if t.dtype not in WRITE_DT:
            raise ValueError("tensor %r has dtype %s; can write only %s" % (name, t.dtype, list(WRITE_DT)))
        size = t.numel() * t.element_size()
        header[name] = {"dtype": WRITE_DT[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = dict(metadata)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:  # tensor by tensor: a 2.6 GB model is not copied whole into bytes
        f.write(struct.pack("<Q", len(raw)) + raw)
        for t in tensors.values():
            t = t.contiguous()
            a = t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy()
            f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())


def read_safetensors(path):
    """(tensors, metadata): F32/F16/BF16/F64 become float32 tensors, I64 int64; the data must be covered exactly."""
    with open(path, "rb") as f:  # tensor by tensor: a 2.6 GB file is not held twice
        size_all = os.fstat(f.fileno()).st_size
        if size_all < 8:
            raise ValueError("%s: not a safetensors file (%d bytes)" % (path, size_all))
        (n,) = struct.unpack("<Q", f.read(8))
        if n > size_all - 8:
            raise ValueError("%s: header length %d does not fit the file" % (path, n))
        header, data_len = json.loads(f.read(n)), size_all - 8 - n
        metadata, tensors, ranges = header.pop("__metadata__", None) or {}, {}, []
        for name, info in header.items():
            if info.get("dtype") not in READ_DT:
                raise ValueError("%s: tensor %r has dtype %s; can read only %s" % (path, name, info.get("dtype"), list(READ_DT)))
            np_dt, size = READ_DT[info["dtype"]]
            shape, (begin, end) = info["shape"], info["data_offsets"]
            count = int(np.prod(shape, dtype=np.int64))
            if end - begin != count * size or end > data_len or begin < 0:
                raise ValueError("%s: tensor %r has data_offsets %s that do not hold %s %s" % (path, name, [begin, end], shape, info["dtype"]))
            f.seek(8 + n + begin)
            a = np.frombuffer(bytearray(f.read(end - begin)), dtype=np_dt, count=count)
            if info["dtype"] == "BF16":
                a = (a.astype(np.uint32) << 16).view(np.float32)
            a = a.astype(np.int64 if info["dtype"] == "I64" else np.float32, copy=False)
            tensors[name] = torch.from_numpy(a).reshape(shape)
            ranges.append((begin, end, name))
    at = 0
    for begin, end, name in sorted(ranges):
        if begin != at:
            raise ValueError("%s: tensor %r at %d: the tensors must cover the data exactly (expected offset %d)" % (path, name, begin, at))
        at = end
    if at != data_len:
        raise ValueError("%s: %d trailing bytes after the last tensor" % (path, data_len - at))
    return tensors, metadata


def read_safetensors_metadata(path):
    """The `__metadata__` of a safetensors file, without reading its tensors."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)).get("__metadata__") or {}


def describe(module):
    """The layers entry of one child: its op and every constructor argument, as PyTorch resolved it."""
    op = OP_OF.get(type(module))
    if op is None:
        raise TypeError("cannot describe a %s in a layers4j model file; supported: %s"
                        % (type(module).__name__, ", ".join(c.__name__ for c in OP_OF)))
    if op == "embedding" and (module.max_norm is not None or module.scale_grad_by_freq or module.sparse):
        raise TypeError("cannot describe an Embedding with max_norm, scale_grad_by_freq or sparse set")
    if op == "upsample" and module.recompute_scale_factor is not None:
        raise TypeError("cannot describe an Upsample with recompute_scale_factor set")
    out = {"op": op}
    for k in OPS[op][1]:
        v = (module.bias is not None) if k == "bias" else getattr(module, k)
        out[k] = _floats(v) if k in FLOAT_ARGS else (list(v) if isinstance(v, tuple) else v)
    return out


def _floats(v):
    """An int where PyTorch means a float (Dropout(p=0), Hardtanh(0, 6)) as a float; tuples as lists."""
    if isinstance(v, (tuple, list)):
        return [_floats(x) for x in v]
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def build(spec):
    if spec.get("op") not in OPS:
        raise ValueError("unknown op %r in layers; supported: %s" % (spec.get("op"), ", ".join(OPS)))
    cls, keys = OPS[spec["op"]]
    spec = {k: v for k, v in spec.items() if k != "inplace"}  # accepted wherever PyTorch has it, and ignored
    unknown = set(spec) - set(keys) - {"op"}
    if unknown:
        raise ValueError("op %s has no argument(s) %s; it takes %s" % (spec["op"], sorted(unknown), keys))
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k != "op"})


def _state_tensors(model):
    tensors = {}
    for k, v in model.state_dict().items():
        if v.dtype == torch.int64:
            tensors[k] = v
        elif v.is_floating_point():
            tensors[k] = v.to(torch.float32)
        else:
            raise TypeError("state_dict entry %r has dtype %s; a model file holds float32 and int64" % (k, v.dtype))
    return tensors


def save(model, path):
    """A plain nn.Sequential of format-1 layers as `sequential`; any other torch.fx-traceable module as `graph`."""
    if type(model) is nn.Sequential and all(OP_OF.get(type(m)) in SEQUENTIAL_OPS for m in model):
        layers = [describe(m) for m in model]
        write_safetensors(path, _state_tensors(model), {"format": "pt", "op": "sequential", "layers": json.dumps(layers)})
        return
    graph = export_graph(model)
    write_safetensors(path, _state_tensors(model), {"format": "pt", "op": "graph", "graph": json.dumps(graph, allow_nan=False)})


def load(path, strict=True):
    """The module of a model file, its state_dict loaded (strict: the file holds exactly its tensors):
    an nn.Sequential for `sequential`, a torch.fx.GraphModule for `graph`."""
    tensors, meta = read_safetensors(path)
    if meta.get("op") == "graph" and "graph" in meta:
        model = import_graph(json.loads(meta["graph"]))
    elif meta.get("op") == "sequential" and "layers" in meta:
        model = nn.Sequential(*[build(s) for s in json.loads(meta["layers"])])
    else:
        raise ValueError("%s: not a layers4j model file (metadata op %r, want 'sequential' with 'layers' or 'graph' with 'graph')"
                         % (path, meta.get("op")))
    if not strict:  # e.g. a fixture, which also holds input, output and gradients
        tensors = {k: v for k, v in tensors.items() if k in model.state_dict()}
    model.load_state_dict(tensors, strict=True)
    return model


# ---------------------------------------------------------------------------------------------------
# The `graph` format (docs/model-format.md): torch.fx's trace, its nodes mapped to one op registry.

class _Tracer(torch.fx.Tracer):
    """torch.fx's leaves (torch.nn's modules but Sequential), except containers: ModuleList / ModuleDict,
    and a bare nn.Module (import_graph builds the containers as those, and a loaded graph must trace again)."""

    def is_leaf_module(self, m, qualname):
        if type(m) is nn.Module or isinstance(m, (nn.ModuleList, nn.ModuleDict, nn.ParameterList, nn.ParameterDict)):
            return False  # containers, never called themselves
        if isinstance(m, (GraphDropout, GraphStochasticDepth)):
            return True  # a loaded graph's mode-following ops: written back as the registry ops they came from
        return super().is_leaf_module(m, qualname)


def _unpack_iter(self):
    """Proxy.__iter__ that finds the caller's instruction by its byte offset. PyTorch 1.13 indexes
    dis.get_instructions() with f_lasti // 2, which on Python 3.11 (CACHE entries hidden from that
    list) points elsewhere, so `b, c, h, w = x.size()` fails with "Proxy object cannot be iterated"."""
    caller = inspect.currentframe().f_back
    for ins in dis.get_instructions(caller.f_code):
        if ins.offset == caller.f_lasti:
            if ins.opname == "UNPACK_SEQUENCE":
                return (self[i] for i in range(ins.argval))
            break
    return self.tracer.iter(self)


class _UnpackProbe(nn.Module):
    def forward(self, x):
        b, c = x.size()[:2]
        return x.view(b, c, -1)


_UNPACK_BROKEN = None


@contextlib.contextmanager
def _fx_unpack_fix():
    """Patches torch.fx.proxy.Proxy.__iter__ while tracing, only where tuple-unpacking a Proxy is
    broken (PyTorch < 2 on Python >= 3.11; measured once with a probe, so PyTorch 2.x is left alone)."""
    global _UNPACK_BROKEN
    if _UNPACK_BROKEN is None:
        _UNPACK_BROKEN = False
        if sys.version_info >= (3, 11) and int(torch.__version__.split(".")[0]) < 2:
            try:
                _Tracer().trace(_UnpackProbe())
            except Exception:
                _UNPACK_BROKEN = True
    if not _UNPACK_BROKEN:
        yield
        return
    proxy = torch.fx.proxy.Proxy
    original = proxy.__iter__
    proxy.__iter__ = _unpack_iter
    try:
        yield
    finally:
        proxy.__iter__ = original


def _function_ops():
    """fx call_function targets -> registry op (PyTorch's three spellings of an op are one op)."""
    F = nn.functional
    table = {
        "add": [operator.add, operator.iadd, torch.add], "sub": [operator.sub, operator.isub, torch.sub],
        "mul": [operator.mul, operator.imul, torch.mul], "div": [operator.truediv, operator.itruediv, torch.div],
        "floordiv": [operator.floordiv, operator.ifloordiv], "neg": [operator.neg, torch.neg], "eq": [operator.eq],
        "getattr": [builtins.getattr], "getitem": [operator.getitem], "flatten": [torch.flatten],
        "reshape": [torch.reshape], "permute": [torch.permute], "transpose": [torch.transpose, torch.swapaxes],
        "unsqueeze": [torch.unsqueeze], "squeeze": [torch.squeeze], "cat": [torch.cat, getattr(torch, "concat", None)],
        "chunk": [torch.chunk], "split": [torch.split], "mean": [torch.mean], "sum": [torch.sum],
        "relu": [F.relu, torch.relu], "relu6": [F.relu6], "silu": [F.silu], "hardswish": [F.hardswish],
        "hardsigmoid": [F.hardsigmoid], "sigmoid": [torch.sigmoid, F.sigmoid], "tanh": [torch.tanh, F.tanh],
        "hardtanh": [F.hardtanh], "gelu": [F.gelu], "softmax": [F.softmax, torch.softmax],
        "log_softmax": [F.log_softmax, torch.log_softmax], "dropout": [F.dropout],
        "adaptive_avg_pool2d": [F.adaptive_avg_pool2d], "adaptive_max_pool2d": [F.adaptive_max_pool2d],
        "max_pool2d": [F.max_pool2d], "avg_pool2d": [F.avg_pool2d], "interpolate": [F.interpolate], "pad": [F.pad],
        "layer_norm": [F.layer_norm], "group_norm": [F.group_norm],
    }
    try:
        import torchvision.ops
        table["stochastic_depth"] = [torchvision.ops.stochastic_depth]
    except ImportError:
        pass
    return {fn: op for op, fns in table.items() for fn in fns if fn is not None}


# call_method names -> registry op (self becomes the first argument)
METHOD_OPS = {m: m for m in ["add", "sub", "mul", "div", "neg", "size", "dim", "flatten", "view", "reshape", "permute",
                              "transpose", "contiguous", "unsqueeze", "squeeze", "expand", "chunk", "split", "mean",
                              "sum", "relu", "sigmoid", "tanh", "softmax", "log_softmax"]}
METHOD_OPS.update({"swapaxes": "transpose", "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div",
                   "__floordiv__": "floordiv", "__getitem__": "getitem"})
# registry op -> its positional argument names, for the arguments written as JSON floats and for `training`
FLOAT_FN_ARGS = {"dropout": {"p": 1}, "stochastic_depth": {"p": 1}, "hardtanh": {"min_val": 1, "max_val": 2},
                 "interpolate": {"scale_factor": 2}, "pad": {"value": 3}, "layer_norm": {"eps": 4}, "group_norm": {"eps": 4}}
TRAINING_ARG = {"dropout": (2, ["inplace"]), "stochastic_depth": (3, [])}  # position, the names of those after it
PURE_SHAPE_OPS = {"eq", "getattr", "getitem", "size", "dim", "floordiv", "add", "sub", "mul", "neg"}


def _node_error(node, what):
    return ValueError("fx node %r (%s %s): %s" % (node.name, node.op, _target_name(node.target), what))


def _target_name(t):
    if isinstance(t, str):
        return t
    return "%s.%s" % (getattr(t, "__module__", None) or "?", getattr(t, "__qualname__", getattr(t, "__name__", repr(t))))


def _encode(value, node):
    """An fx argument as a JSON value (docs/model-format.md: references, dicts, slices)."""
    if isinstance(value, torch.fx.Node):
        return {"node": value.name}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _node_error(node, "argument %r is not a finite number; JSON cannot hold it" % value)
        return value
    if isinstance(value, (tuple, list)):
        return [_encode(v, node) for v in value]
    if isinstance(value, slice):
        return {"slice": [_encode(value.start, node), _encode(value.stop, node), _encode(value.step, node)]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _node_error(node, "a dict argument needs string keys, not %s" % list(value))
        return {"dict": {k: _encode(v, node) for k, v in value.items()}}
    raise _node_error(node, "argument %r of type %s cannot be written to a layers4j graph (supported: tensors, "
                            "numbers, bools, strings, None, tuples, lists, dicts, slices)" % (value, type(value).__name__))


def _module_entries(model, tracer):
    """`modules`: every leaf's layer spec, and containers that own parameters or buffers, in named_modules() order."""
    entries, leaves = {}, set()
    for name, m in model.named_modules():
        if any(name.startswith(leaf + ".") for leaf in _prefixes(name) if leaf in leaves):
            continue  # inside a leaf: its state is the leaf's
        own_p = {k: list(p.shape) for k, p in m._parameters.items() if p is not None}
        own_b = {k: (list(b.shape) if b.dtype != torch.int64 else {"shape": list(b.shape), "dtype": "int64"})
                 for k, b in m._buffers.items() if b is not None and k not in m._non_persistent_buffers_set}
        if isinstance(m, (GraphDropout, GraphStochasticDepth)):
            continue  # stateless; its calls are written as `dropout` / `stochastic_depth` nodes
        if not name:
            if own_p or own_b:
                raise ValueError("the root module owns %s directly; a graph file names containers by non-empty "
                                 "names (move them into a submodule)" % (sorted(own_p) + sorted(own_b)))
            continue
        if tracer.is_leaf_module(m, name):
            try:
                entries[name] = describe(m)
            except TypeError as e:
                raise ValueError("module %r: %s" % (name, e)) from None
            leaves.add(name)
        elif own_p or own_b:
            entries[name] = {"op": "module", "parameters": own_p, "buffers": own_b}
    return entries


def _prefixes(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _canonical(node, fn_ops):
    """(registry op, args, kwargs) of a call_function / call_method node."""
    if node.op == "call_function":
        op = fn_ops.get(node.target)
        args = list(node.args)
    else:
        op = METHOD_OPS.get(node.target)
        args = list(node.args)  # self is already the first argument
    if op is None:
        supported = sorted(set(fn_ops.values()) | set(METHOD_OPS.values()))
        raise _node_error(node, "no layers4j op for this %s; supported: %s" % (node.op, ", ".join(supported)))
    kwargs = dict(node.kwargs)
    if op in TRAINING_ARG:  # fx baked self.training in as a constant: the op follows the graph's mode instead
        at, after = TRAINING_ARG[op]
        kwargs.pop("training", None)
        if len(args) > at:
            for k, v in zip(after, args[at + 1:]):
                kwargs[k] = v
            args = args[:at]
    for k, i in FLOAT_FN_ARGS.get(op, {}).items():
        if k in kwargs:
            kwargs[k] = _floats(kwargs[k]) if kwargs[k] is not None else None
        elif len(args) > i and args[i] is not None and not isinstance(args[i], torch.fx.Node):
            args[i] = _floats(args[i])
    return op, args, kwargs


def export_graph(model):
    """The `graph` metadata object of a module: traced with torch.fx in eval mode (each module's mode restored)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    tracer = _Tracer()
    try:
        with _fx_unpack_fix():
            graph = tracer.trace(model)
    finally:
        for m, training in modes:
            m.training = training
    state = model.state_dict()
    fn_ops = _function_ops()
    for n in reversed(list(graph.nodes)):  # torch._assert's checks, and the shape arithmetic only they used, are dropped
        if n.op == "call_function" and n.target is torch._assert and not n.users:
            graph.erase_node(n)
        elif not n.users and n.op in ("call_function", "call_method") and n.target is not torch._assert \
                and _canonical_or_none(n, fn_ops) in PURE_SHAPE_OPS:
            graph.erase_node(n)
    names = {n.name for n in graph.nodes}
    for n in graph.nodes:  # a loaded graph's helper calls get back the names fx gave the ops (a save is a fixpoint)
        if n.op == "call_module" and n.name.startswith("_layers4j_") and n.name[len("_layers4j_"):] not in names:
            n.name = n.name[len("_layers4j_"):]
            names.add(n.name)
    out = []
    for n in graph.nodes:
        if n.op == "placeholder":
            out.append({"name": n.name, "op": "placeholder", "target": n.target})
        elif n.op == "get_attr":
            if n.target not in state:
                raise _node_error(n, "get_attr of %r, which is no parameter or buffer of the state_dict "
                                     "(a tensor constant or a submodule)" % n.target)
            out.append({"name": n.name, "op": "get_attr", "target": n.target})
        elif n.op == "call_module" and isinstance(model.get_submodule(n.target), (GraphDropout, GraphStochasticDepth)):
            op = "dropout" if isinstance(model.get_submodule(n.target), GraphDropout) else "stochastic_depth"
            out.append(_with_args({"name": n.name, "op": "call_function", "target": op}, list(n.args), dict(n.kwargs), n))
        elif n.op == "call_module":
            if type(model.get_submodule(n.target)) not in OP_OF:
                raise _node_error(n, "no layers4j layer for a %s; supported: %s" % (
                    type(model.get_submodule(n.target)).__name__, ", ".join(c.__name__ for c in OP_OF)))
            out.append(_with_args({"name": n.name, "op": "call_module", "target": n.target}, list(n.args), dict(n.kwargs), n))
        elif n.op in ("call_function", "call_method"):
            if n.op == "call_method" and n.target.endswith("_") and not n.target.endswith("__"):
                raise _node_error(n, "in-place method %s is not supported (use the out-of-place op)" % n.target)
            op, args, kwargs = _canonical(n, fn_ops)
            out.append(_with_args({"name": n.name, "op": "call_function", "target": op}, args, kwargs, n))
        elif n.op == "output":
            out.append({"name": n.name, "op": "output", "target": "output", "args": [_encode(n.args[0], n)]})
        else:
            raise _node_error(n, "unknown fx opcode")
    return {"version": 1, "modules": _module_entries(model, tracer), "nodes": out}


def _canonical_or_none(node, fn_ops):
    return fn_ops.get(node.target) if node.op == "call_function" else METHOD_OPS.get(node.target)


def _with_args(entry, args, kwargs, node):
    if args:
        entry["args"] = _encode(args, node)
    if kwargs:
        entry["kwargs"] = {k: _encode(v, node) for k, v in kwargs.items()}
    return entry


class GraphDropout(nn.Module):
    """F.dropout that follows the graph module's train / eval mode (the file has no `training` argument)."""

    def forward(self, input, p=0.5, inplace=False):
        return nn.functional.dropout(input, p, self.training, inplace)


class GraphStochasticDepth(nn.Module):
    """torchvision.ops.stochastic_depth that follows the graph module's train / eval mode."""

    def forward(self, input, p, mode):
        import torchvision.ops
        return torchvision.ops.stochastic_depth(input, p, mode, self.training)


MODE_MODULES = {"dropout": ("_layers4j_dropout", GraphDropout), "stochastic_depth": ("_layers4j_stochastic_depth", GraphStochasticDepth)}


def _registry_targets():
    """registry op -> ("call_function", torch callable) or ("call_method", name)."""
    F = nn.functional
    fns = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
           "floordiv": operator.floordiv, "neg": operator.neg, "eq": operator.eq, "getattr": builtins.getattr,
           "getitem": operator.getitem, "flatten": torch.flatten, "cat": torch.cat, "chunk": torch.chunk,
           "split": torch.split, "relu": F.relu, "relu6": F.relu6, "silu": F.silu, "hardswish": F.hardswish,
           "hardsigmoid": F.hardsigmoid, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "hardtanh": F.hardtanh,
           "gelu": F.gelu, "softmax": F.softmax, "log_softmax": F.log_softmax,
           "adaptive_avg_pool2d": F.adaptive_avg_pool2d, "adaptive_max_pool2d": F.adaptive_max_pool2d,
           "max_pool2d": F.max_pool2d, "avg_pool2d": F.avg_pool2d, "interpolate": F.interpolate, "pad": F.pad,
           "layer_norm": F.layer_norm, "group_norm": F.group_norm}
    out = {op: ("call_function", fn) for op, fn in fns.items()}
    for m in ["size", "dim", "view", "reshape", "permute", "transpose", "contiguous", "unsqueeze", "squeeze", "expand",
              "mean", "sum"]:
        out[m] = ("call_method", m)
    return out


def import_graph(spec):
    """A torch.fx.GraphModule from the `graph` metadata object: the module tree in the file's order
    (PyTorch's state_dict order), the nodes mapped back to PyTorch's functions and methods."""
    if spec.get("version") != 1:
        raise ValueError("graph version %r; this reader knows version 1" % spec.get("version"))
    root = nn.Module()
    for name, entry in spec["modules"].items():
        parent, _, attr = name.rpartition(".")
        holder = _container(root, parent)
        if entry.get("op") == "module":
            m = holder._modules.get(attr) or nn.Module()
            for k, shape in entry.get("parameters", {}).items():
                m.register_parameter(k, nn.Parameter(torch.empty(shape)))
            for k, b in entry.get("buffers", {}).items():
                shape, dt = (b["shape"], {"int64": torch.int64, "float32": torch.float32}[b.get("dtype", "float32")]) \
                    if isinstance(b, dict) else (b, torch.float32)
                m.register_buffer(k, torch.empty(shape, dtype=dt))
        else:
            try:
                m = build(entry)
            except (ValueError, TypeError) as e:
                raise ValueError("module %r: %s" % (name, e)) from None
        holder.add_module(attr, m)
    targets = _registry_targets()
    graph, env = torch.fx.Graph(), {}

    def decode(v, who):
        if isinstance(v, list):
            return tuple(decode(x, who) for x in v)
        if isinstance(v, dict):
            if set(v) == {"node"}:
                if v["node"] not in env:
                    raise ValueError("node %r refers to %r, which is not an earlier node" % (who, v["node"]))
                return env[v["node"]]
            if set(v) == {"dict"}:
                return {k: decode(x, who) for k, x in v["dict"].items()}
            if set(v) == {"slice"}:
                return slice(*[decode(x, who) for x in v["slice"]])
            raise ValueError("node %r: unknown argument object %s" % (who, sorted(v)))
        return v

    for n in spec["nodes"]:
        name, op = n["name"], n["op"]
        args = decode(n.get("args", []), name)
        kwargs = {k: decode(v, name) for k, v in n.get("kwargs", {}).items()}
        if op == "placeholder":
            node = graph.create_node("placeholder", n["target"], name=name)
        elif op == "get_attr":
            node = graph.create_node("get_attr", n["target"], name=name)
        elif op == "call_module":
            if n["target"] not in spec["modules"] or spec["modules"][n["target"]].get("op") == "module":
                raise ValueError("node %r calls %r, which is no leaf module of `modules`" % (name, n["target"]))
            node = graph.create_node("call_module", n["target"], args, kwargs, name=name)
        elif op == "call_function":
            fn = n["target"]
            if fn in MODE_MODULES:
                attr, cls = MODE_MODULES[fn]
                if attr not in root._modules:
                    root.add_module(attr, cls())
                node = graph.create_node("call_module", attr, args, kwargs, name=name)
            elif fn in targets:
                kind, target = targets[fn]
                if fn in ("add", "sub", "div") and kwargs:  # alpha, rounding_mode: operator.* has none
                    kind, target = "call_function", getattr(torch, fn)
                if fn in ("sigmoid", "tanh"):
                    kwargs.pop("inplace", None)
                node = graph.create_node(kind, target, args, kwargs, name=name)
            else:
                raise ValueError("node %r: unknown op %r; supported: %s"
                                 % (name, fn, ", ".join(sorted(set(targets) | set(MODE_MODULES)))))
        elif op == "output":
            node = graph.output(args[0])
        else:
            raise ValueError("node %r: unknown node op %r" % (name, op))
        env[name] = node
    gm = torch.fx.GraphModule(root, graph, class_name="Layers4jGraph")
    gm._modules.clear()  # GraphModule copied only the modules the graph uses, in the order it uses them
    gm._modules.update(root._modules)
    return gm


def _container(root, path):
    m = root
    for part in path.split(".") if path else []:
        if part not in m._modules:
            m.add_module(part, nn.Module())
        m = m._modules[part]
    return m


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


def torchvision_model(name, num_classes=None, seed=0, **extra):
    """torchvision.models.<name> (or .segmentation.<name>) with weights=None (segmentation: weights_backbone=None
    too), in eval mode, random: torch seeded with `seed`; every BatchNorm's running_mean ~ N(0, 0.1), running_var ~
    U(0.5, 1.5), num_batches_tracked a random count; and every parameter that its initialisation leaves constant
    (zero biases, unit norm weights, ConvNeXt's 1e-6 layer scales) random too (zeros ~ N(0, 0.1), c -> c * U(0.5, 1.5),
    tiny scales ~ U(0.05, 0.15)), so that a mixed-up weight and bias or a skipped branch shows in the output.
    Training-only branches stay in the model: inception_v3's and googlenet's aux heads keep their weights in the
    state_dict (so the file loads back strictly), but the eval trace does not call them -- the graph is the eval
    forward, and the Java side runs that same graph in training mode too (only dropout / stochastic depth follow
    the mode). inception_v3 and googlenet are built with init_weights=False (PyTorch's default init; faster)."""
    import torchvision
    torch.manual_seed(seed)
    kw = {"weights": None}
    if num_classes is not None:
        kw["num_classes"] = num_classes
    if name in ("inception_v3", "googlenet"):
        kw["init_weights"] = False
    builder = getattr(torchvision.models, name, None)
    if not callable(builder) or name.startswith("_"):
        builder = getattr(torchvision.models.segmentation, name, None)
        if not callable(builder) or name.startswith("_"):
            raise ValueError("torchvision %s has no model %r" % (torchvision.__version__, name))
        kw["weights_backbone"] = None
    kw.update(extra)
    model = builder(**kw)
    randomize_state(model, torch.Generator().manual_seed(seed + 1))
    return model.eval()



def randomize_state(model, g):
    """Every BatchNorm's running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5), num_batches_tracked a random count,
    and every parameter its initialisation leaves constant random (zeros ~ N(0, 0.1), tiny scales ~ U(0.05, 0.15),
    c -> c * U(0.5, 1.5)), drawn from generator g in module order; returns the model."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
        for _, prm in model.named_parameters():
            c = prm.flatten()[0].item()
            if not bool((prm == c).all()):
                continue
            if c == 0:
                prm.copy_(torch.randn(prm.shape, generator=g) * 0.1)
            elif abs(c) < 1e-3:
                prm.copy_(torch.rand(prm.shape, generator=g) * 0.1 + 0.05)
            else:
                prm.copy_(c * (torch.rand(prm.shape, generator=g) + 0.5))
    return model


def output_tensors(y):
    """A model's output as named tensors: `output`, or one per dict key / tuple index."""
    if isinstance(y, torch.Tensor):
        return {"output": y}
    if isinstance(y, dict):
        return {str(k): v for k, v in y.items()}
    if isinstance(y, (tuple, list)):
        return {str(i): v for i, v in enumerate(y)}
    raise TypeError("model output of type %s is not a tensor, dict or tuple" % type(y).__name__)


def run(model_path, input_path, out_path):
    model = load(model_path).eval()
    tensors, _ = read_safetensors(input_path)
    if "input" not in tensors:
        raise ValueError("%s holds no tensor 'input' (it holds %s)" % (input_path, list(tensors)))
    with torch.no_grad():
        y = model(tensors["input"])
    write_safetensors(out_path, output_tensors(y), {"format": "pt", "reference": "torch %s float32 eval" % torch.__version__})
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
        if read_safetensors_metadata(first) != read_safetensors_metadata(second):
            diffs.append("the architecture does not describe itself again identically")
        arch = lambda m: json.loads(m.get("layers") or m.get("graph") or "null")  # noqa: E731
        same_layers = arch(read_safetensors_metadata(path)) == arch(read_safetensors_metadata(first))
    return diffs, same_layers


class _Einsum(nn.Module):
    def forward(self, x):
        return torch.einsum("ij->ji", x)


class _DtypeArgument(nn.Module):
    def forward(self, x):
        return x.sum(1, dtype=torch.float64)


class _ExampleBlock(nn.Module):
    """A residual block: conv-bn-silu, chunk, a gate broadcast over the image, a layer scale, stochastic depth."""

    def __init__(self, c):
        super().__init__()
        import torchvision.ops
        self.conv = nn.Conv2d(c, 2 * c, 3, padding=1)
        self.bn = nn.BatchNorm2d(2 * c)
        self.act = nn.SiLU(inplace=True)
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c, 1), nn.Hardsigmoid())
        self.layer_scale = nn.Parameter(torch.rand(c, 1, 1) + 0.5)
        self.register_buffer("calls", torch.tensor([5]))  # an int64 buffer of a container
        self.drop_path = torchvision.ops.StochasticDepth(0.5, "row")

    def forward(self, x):
        a, b = self.act(self.bn(self.conv(x))).chunk(2, dim=1)
        return x + self.drop_path(self.layer_scale * (a * self.gate(b)))


class _ExampleGraph(nn.Module):
    """Every kind of graph node: an assert, shape arithmetic with tuple unpacking (a channel shuffle),
    interpolate to the input's size, cat, group norm, functional pooling and dropout, float constants,
    a dict output."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.block = _ExampleBlock(8)
        self.norm = nn.GroupNorm(1, 11)
        self.head = nn.Linear(11, 5)

    def forward(self, x):
        torch._assert(x.dim() == 4, "expected a 4-D input")  # dropped, with the shape arithmetic only it used
        h = self.block(self.stem(x))
        b, c, hh, ww = h.size()
        h = torch.transpose(h.view(b, 2, c // 2, hh, ww), 1, 2).contiguous().view(b, -1, hh, ww)
        up = nn.functional.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=False)
        z = self.norm(torch.cat([up, x], 1))
        pooled = torch.flatten(nn.functional.adaptive_avg_pool2d(z, 1), 1)
        return {"logits": self.head(nn.functional.dropout(pooled, 0.25, self.training)),
                "map": nn.functional.hardtanh(z[:, :2], -2, 2) * 2.0}


def _graph_selftest(p):
    torch.manual_seed(3)
    model, x = _ExampleGraph(), torch.randn(4, 3, 12, 10)
    with torch.no_grad():
        model.block.bn.running_mean.normal_(0, 0.1)
        model.block.bn.running_var.uniform_(0.5, 1.5)
    save(model, p)
    assert model.training and all(m.training for m in model.modules()), "save() changed the module's mode"
    meta = read_safetensors_metadata(p)
    g = json.loads(meta["graph"])
    assert meta["op"] == "graph" and list(g["modules"]) == [
        "stem", "block", "block.conv", "block.bn", "block.act", "block.gate.0", "block.gate.1", "block.gate.2", "norm", "head"]
    assert g["modules"]["block"] == {"op": "module", "parameters": {"layer_scale": [8, 1, 1]},
                                     "buffers": {"calls": {"shape": [1], "dtype": "int64"}}}
    ops = [n["target"] for n in g["nodes"] if n["op"] == "call_function"]
    for op in ["chunk", "mul", "stochastic_depth", "add", "size", "getitem", "floordiv", "view", "transpose", "contiguous",
               "getattr", "interpolate", "cat", "adaptive_avg_pool2d", "flatten", "dropout", "hardtanh"]:
        assert op in ops, (op, ops)
    assert "dim" not in ops and "eq" not in ops and "_assert" not in meta["graph"]
    by_op = {n["target"]: n for n in g["nodes"] if n["op"] == "call_function"}
    assert by_op["stochastic_depth"]["args"][1:] == [0.5, "row"] and "kwargs" not in by_op["stochastic_depth"]
    assert by_op["dropout"].get("kwargs") == {"p": 0.25, "inplace": False}  # as F.dropout passed them, `training` dropped
    assert by_op["hardtanh"]["kwargs"] == {"min_val": -2.0, "max_val": 2.0, "inplace": False}  # ints -> JSON floats
    assert isinstance(by_op["hardtanh"]["kwargs"]["min_val"], float)
    assert g["nodes"][-1]["args"][0]["dict"]["logits"] == {"node": "head"}
    assert [{"slice": [None, None, None]}, {"slice": [None, 2, None]}] in [n["args"][1] for n in g["nodes"] if n["target"] == "getitem"]
    back = load(p)
    assert list(back.state_dict()) == list(model.state_dict()) and not same_state(model.state_dict(), back.state_dict())
    model.eval(), back.eval()
    with torch.no_grad():
        want, got = model(x), back(x)
        assert set(got) == {"logits", "map"} and all(torch.equal(want[k], got[k]) for k in want)
        x2 = torch.randn(2, 3, 9, 14)  # shape arithmetic runs per call: another batch and image size
        assert all(torch.equal(model(x2)[k], back(x2)[k]) for k in want)
    # training mode: stochastic depth and dropout follow the loaded module's mode (same random stream)
    model.train(), back.train()
    torch.manual_seed(11)
    want = model(x)
    torch.manual_seed(11)
    got = back(x)
    assert all(torch.allclose(want[k], got[k], atol=1e-6) for k in want)
    with torch.no_grad():
        assert not torch.equal(got["logits"], back.eval()(x)["logits"])
    # a loaded graph traces and saves again to the same graph, and Python's 3.11 unpack fix is reversible
    save(back, p + "2")
    assert json.loads(read_safetensors_metadata(p + "2")["graph"]) == g
    assert torch.fx.proxy.Proxy.__iter__ is not _unpack_iter
    print("ok  graph: residual block (chunk, broadcast mul, layer scale, stochastic depth), channel shuffle, interpolate, "
          "cat, dict output; eval bit-exact, train mode follows the module")


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
        new_ops = [nn.ReLU6(inplace=True), nn.SiLU(), nn.Hardswish(), nn.Hardsigmoid(), nn.Hardtanh(-2, 3), nn.GELU("tanh"),
                   nn.Identity(), nn.LayerNorm([4, 5], 1e-3, False), nn.GroupNorm(2, 4, 1e-3, False),
                   nn.ConvTranspose1d(4, 6, 3, 2, 1, 1, 2, False, 2), nn.ConvTranspose2d(4, 2, (3, 2), 2, output_padding=1),
                   nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Upsample(size=(3, 4)), nn.Dropout2d(0)]
        assert [describe(build(describe(m))) for m in new_ops] == [describe(m) for m in new_ops]
        assert describe(new_ops[4]) == {"op": "hardtanh", "min_val": -2.0, "max_val": 3.0}
        assert isinstance(describe(new_ops[-1])["p"], float) and isinstance(describe(new_ops[-3])["scale_factor"], float)
        assert type(build({"op": "relu", "inplace": True})) is nn.ReLU  # `inplace` is accepted and ignored
        print("ok  the graph format's leaf modules describe and rebuild themselves (ints written as floats where PyTorch means floats)")
        for other in [nn.Sequential(nn.Linear(3, 4), nn.GELU()), nn.Sequential(nn.Sequential(nn.Linear(3, 4)), nn.ReLU())]:
            save(other, p)  # a Sequential that format 1 cannot hold is written as a graph
            assert read_safetensors_metadata(p)["op"] == "graph"
            x = torch.randn(2, 3)
            with torch.no_grad():
                assert torch.equal(other(x), load(p)(x))
        for bad, words in [(nn.Linear(2, 2), ["linear", "supported"]), (_Einsum(), ["einsum", "supported"]),
                           (nn.Sequential(nn.Linear(4, 4), nn.PReLU()), ["fx node '_1'", "PReLU", "supported"]),
                           (_DtypeArgument(), ["sum", "float64", "dtype"])]:
            try:
                save(bad, p)
                raise AssertionError("saved %s" % bad)
            except ValueError as e:
                assert all(w in str(e) for w in words), e
        print("ok  other Sequentials are written as graphs; a bare Linear (F.linear), einsum and a dtype argument are refused by name")
        _graph_selftest(p)
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
    t = sub.add_parser("export-torchvision")
    t.add_argument("name")
    t.add_argument("out")
    t.add_argument("--num-classes", type=int)
    t.add_argument("--seed", type=int, default=0)
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
    elif a.cmd == "export-torchvision":
        model = torchvision_model(a.name, a.num_classes, a.seed)
        save(model, a.out)
        print("wrote %s (torchvision %s, %d tensors, %d parameters)"
              % (a.out, a.name, len(model.state_dict()), sum(p.numel() for p in model.parameters())))
    elif a.cmd == "run":
        y = run(a.model, a.input, a.out)
        print("wrote %s: %s" % (a.out, {k: list(v.shape) for k, v in output_tensors(y).items()}))
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
