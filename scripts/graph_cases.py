#!/usr/bin/env python3
"""Graph conformance cases (fixtures/README.md, "Graph cases"): one safetensors file holding a graph model file
(metadata `op: graph`, `graph`, and the state_dict, as torch_models.save writes them) plus `training`, optionally
`adam`, and the tensors `input`, `output` / `output.<key>`, `grad_output` / `grad_output.<key>`, `grad_input`,
`grad.<param>` (every parameter; zeros where no gradient reached it), `after.<buffer>` (training) and `adam.<param>`
(every parameter after one torch.optim.Adam step on those gradients; a parameter without a gradient is unchanged).
The loss is the sum over the outputs of sum(output * grad_output).

write_case(model, x, path, training, adam=None, dtype=torch.float32, seed=0): the model's state is stored before
anything runs; the reference is computed in `dtype` (float64: from the float32 values, stored rounded to float32).
Dropout / stochastic depth must have probability 0 in training cases (PyTorch's RNG is not reproducible in Java);
zero_dropout(model) sets them.
"""
import copy, json, os, sys
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def zero_dropout(model):
    """Every nn.Dropout* p and torchvision StochasticDepth p set to 0 (in place); returns the model."""
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.p = 0.0
        elif type(m).__name__ == "StochasticDepth":
            m.p = 0.0
    return model


def _named_outputs(y):
    """forwardNamed's names: `output` for a tensor, the keys of a dict, 0, 1, ... for a tuple (nested: a.b)."""
    out = {}

    def walk(prefix, v):
        if isinstance(v, torch.Tensor):
            out[prefix or "output"] = v
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(str(k) if not prefix else prefix + "." + str(k), x)
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v):
                walk(str(i) if not prefix else prefix + "." + str(i), x)
        elif v is not None:
            raise TypeError("output holds a %s" % type(v).__name__)
    walk("", y)
    return out


def write_case(model, x, path, training, adam=None, dtype=torch.float32, seed=0, reference=None):
    """Writes one graph case; returns its tensors (float32 / int64) and metadata."""
    model = model.eval()
    tm.save(model, path)  # the graph file: the graph (traced in eval) and the state_dict as float32
    state, meta = tm.read_safetensors(path)
    meta = dict(meta)
    meta["training"] = "true" if training else "false"
    if adam is not None:
        meta["adam"] = json.dumps(adam)
    meta["reference"] = reference or "torch %s %s %s" % (torch.__version__, str(dtype).replace("torch.", ""),
                                                         "training" if training else "eval")
    ref = copy.deepcopy(model)
    ref.load_state_dict(state)  # the stored (float32) values
    ref = ref.to(dtype)
    ref.train(training)
    x = x.to(torch.float32)
    xr = x.to(dtype).clone().requires_grad_(True)
    y = _named_outputs(ref(xr))
    g = torch.Generator().manual_seed(seed + 99)
    gy = {k: torch.randn(v.shape, generator=g).to(torch.float32) for k, v in y.items()}
    loss = sum((v * gy[k].to(dtype)).sum() for k, v in y.items())
    loss.backward()
    tensors = dict(state)
    tensors["input"] = x
    single = list(y) == ["output"]
    for k, v in y.items():
        tensors["output" if single else "output." + k] = v.detach()
    for k, v in gy.items():
        tensors["grad_output" if single else "grad_output." + k] = v
    tensors["grad_input"] = xr.grad
    for k, p in ref.named_parameters():
        tensors["grad." + k] = p.grad if p.grad is not None else torch.zeros_like(p)
    if training:
        for k, b in ref.named_buffers():
            tensors["after." + k] = b.clone()
    if adam is not None:
        opt = torch.optim.Adam(ref.parameters(), lr=adam["lr"], betas=tuple(adam["betas"]), eps=adam["eps"],
                               weight_decay=adam["weight_decay"])
        opt.step()
        for k, p in ref.named_parameters():
            tensors["adam." + k] = p.detach().clone()
    out = {k: (v.detach() if v.dtype == torch.int64 else v.detach().to(torch.float32)).contiguous()
           for k, v in tensors.items()}
    tm.write_safetensors(path, out, meta)
    return out, meta


ADAM = {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-08, "weight_decay": 0.0}
