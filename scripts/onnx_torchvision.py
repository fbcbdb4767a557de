#!/usr/bin/env python3
"""Exports torchvision models to ONNX (torch.onnx.export, eval mode, a symbolic batch) with an input and
PyTorch's eval output, for the ONNX front end's checks (onnx/ TorchvisionOnnxTest and `./layers4j run`).

Also "transformer_encoder" (not torchvision: a 2-layer nn.TransformerEncoder, input [2, 10, 32]).

usage: onnx_torchvision.py OUT_DIR [--opsets 13 17] [--models resnet18 ...] [--size 224] [--unfused] [--seed S]

For each model and opset it writes OUT_DIR/<model>_op<opset>.onnx, OUT_DIR/<model>.input.safetensors
(the tensor "input", [1, 3, S, S]) and OUT_DIR/<model>.expected.safetensors (the outputs by their ONNX
names). Weights are random (seeded; no download), BatchNorm statistics randomized so they matter.
With --seed S the model is torch_models.torchvision_model(NAME, seed=S) instead: the same weights as
`torch_models.py export-torchvision NAME FILE --seed S` writes into a layers4j model file (benchmarks/protocol.py
runs one model as that file, in PyTorch, and as this ONNX export).
"""
import argparse
import os

import torch
import torchvision
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import write_safetensors, torchvision_model  # noqa: E402  (the repository's writer)


def save_file(tensors, path):
    write_safetensors(path, tensors, {})

MODELS = ["resnet18", "resnet50", "mobilenet_v3_large", "efficientnet_b0", "densenet121", "squeezenet1_1",
          "shufflenet_v2_x1_0", "regnet_y_400mf", "fcn_resnet50"]


class Encoder(torch.nn.Module):
    """A small transformer encoder (MatMul, LayerNorm, Softmax, Erf, shape arithmetic on batch and sequence)."""

    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True, activation="gelu")
        self.enc = torch.nn.TransformerEncoder(layer, 2)
        self.head = torch.nn.Linear(32, 5)

    def forward(self, x):
        return self.head(self.enc(x)).mean(1)


def build(name):
    torch.manual_seed(0)
    if name == "transformer_encoder":
        return Encoder().eval()
    if name.startswith("fcn_"):
        m = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, aux_loss=True)
    else:
        m = getattr(torchvision.models, name)(weights=None)
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
            mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=g) + 0.5)
            if mod.weight is not None:
                mod.weight.data.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
                mod.bias.data.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
    return m.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--opsets", type=int, nargs="+", default=[13, 17])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--unfused", action="store_true", help="also <model>_op<N>_unfused.onnx: no constant folding,"
                   " BatchNormalization kept as nodes (the front end's BatchNormalization path)")
    p.add_argument("--seed", type=int, help="build torch_models.torchvision_model(NAME, seed=SEED): the weights of"
                   " `torch_models.py export-torchvision NAME FILE --seed SEED`")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.models:
        m = build(name) if a.seed is None else torchvision_model(name, seed=a.seed)
        shape = (2, 10, 32) if name == "transformer_encoder" else (1, 3, a.size, a.size)
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            y = m(x)
        outs = ["out", "aux"] if isinstance(y, dict) else ["output"]
        ys = [y[k] for k in outs] if isinstance(y, dict) else [y]
        save_file({"input": x.contiguous()}, os.path.join(a.out, name + ".input.safetensors"))
        save_file({k: v.contiguous() for k, v in zip(outs, ys)}, os.path.join(a.out, name + ".expected.safetensors"))
        for opset in a.opsets:
            path = os.path.join(a.out, "%s_op%d.onnx" % (name, opset))
            dyn = {"input": {0: "batch", 1: "sequence"} if name == "transformer_encoder" else {0: "batch"}}
            dyn.update({k: {0: "batch"} for k in outs})
            torch.onnx.export(m, x, path, opset_version=opset, input_names=["input"], output_names=outs,
                              dynamic_axes=dyn, do_constant_folding=True)
            print("wrote", path, flush=True)
            if a.unfused:
                path = os.path.join(a.out, "%s_op%d_unfused.onnx" % (name, opset))
                torch.onnx.export(m, x, path, opset_version=opset, input_names=["input"], output_names=outs,
                                  dynamic_axes=dyn, do_constant_folding=False,
                                  training=torch.onnx.TrainingMode.PRESERVE)
                print("wrote", path, flush=True)


if __name__ == "__main__":
    main()
