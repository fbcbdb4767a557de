#!/usr/bin/python3
"""Reference cases for whole models, computed with PyTorch 1.13 / torchvision 0.14 (Debian's
python3-torch, python3-torchvision): fixtures/models/{textcnn,resnet18}.safetensors.

Each file holds the model's state_dict by PyTorch's names (resnet18's floats stored as F16 to keep the
file small: the references are computed from exactly those rounded values, so a loader that converts
F16 to float32 sees the same model), and:
  input                        the model input (int64 token ids for textcnn, float32 images for resnet18)
  output                       eval-mode output, computed in float64
  grad_output                  dL/d(output) for L = sum(output * grad_output)
  grad.<param>                 eval-mode gradients of a few parameters (textcnn: all)
  train.output                 (resnet18) training-mode output from the same state
  train.grad.<param>           (resnet18) training-mode gradients of conv1.weight, fc.weight, layer4.1.bn2.weight
  after.<buffer>               (resnet18) every BatchNorm buffer after the training-mode forward

Usage: /usr/bin/python3 scripts/gen_model_refs.py fixtures/models
"""
import json, os, struct, sys
import torch
import torch.nn as nn
import torchvision


class TextCNN(nn.Module):
    """Embedding -> Conv1d -> ReLU -> max over time -> Dropout -> Linear (the Java TextCNN's twin)."""

    def __init__(self, vocab, dim, filters, kernel, classes, padding_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=padding_idx)
        self.conv = nn.Conv1d(dim, filters, kernel, padding=kernel // 2)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(filters, classes)

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)
        x = self.relu(self.conv(x))
        x = x.max(dim=2).values
        return self.fc(self.dropout(x))


def write(path, tensors, f16=()):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            dt, data = "I64", t.numpy().astype("<i8").tobytes()
        elif name in f16:
            dt, data = "F16", t.to(torch.float16).numpy().astype("<f2").tobytes()
        else:
            dt, data = "F32", t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header["__metadata__"] = {"format": "pt", "reference": "torch %s torchvision %s float64"
                              % (torch.__version__, torchvision.__version__)}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def textcnn(out, gen):
    m = TextCNN(50, 8, 6, 3, 3, padding_idx=0)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
        m.embedding.weight[0].zero_()
    m = m.double().eval()
    state = {k: v.detach().clone() for k, v in m.state_dict().items()}
    tokens = torch.randint(0, 50, (4, 11), generator=gen)
    tokens[0, :3] = 0
    y = m(tokens)
    gy = torch.randn(y.shape, generator=gen)
    y.backward(gy.double())
    t = {k: v.float() for k, v in state.items()}
    t.update({"input": tokens, "output": y, "grad_output": gy})
    for k, p in m.named_parameters():
        t["grad." + k] = p.grad
    write(os.path.join(out, "textcnn.safetensors"), t)


def resnet18(out, gen):
    m = torchvision.models.resnet18(num_classes=10)
    with torch.no_grad():
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=gen) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=gen) * 0.5 + 0.75)
            elif name.endswith("num_batches_tracked"):
                b.fill_(7)
        for name, p in m.named_parameters():
            if "bn" in name or "downsample.1" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + torch.randn(p.shape, generator=gen) * 0.1)
        # round every float to F16 now, so the reference uses exactly what the file stores
        for v in m.state_dict().values():
            if v.dtype == torch.float32:
                v.copy_(v.half().float())
    state = {k: v.detach().clone() for k, v in m.state_dict().items()}
    floats = {k for k, v in state.items() if v.dtype == torch.float32}
    x = torch.randn(2, 3, 64, 64, generator=gen)
    t = dict(state)
    m = m.double()
    m.eval()
    xe = x.double().requires_grad_(True)
    y = m(xe)
    gy = torch.randn(y.shape, generator=gen)
    y.backward(gy.double())
    t.update({"input": x, "output": y, "grad_output": gy})
    picked = ["conv1.weight", "fc.weight", "layer4.1.bn2.weight"]
    params = dict(m.named_parameters())
    for k in picked:
        t["grad." + k] = params[k].grad.clone()
    m.zero_grad()
    m.train()
    yt = m(x.double())
    yt.backward(gy.double())
    t["train.output"] = yt
    for k in picked:
        t["train.grad." + k] = params[k].grad.clone()
    for k, v in m.state_dict().items():
        if "running" in k or "num_batches" in k:
            t["after." + k] = v
    write(os.path.join(out, "resnet18.safetensors"), t, f16=floats)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/models"
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(20261201)
    textcnn(out, gen)
    resnet18(out, gen)
    print("wrote textcnn.safetensors and resnet18.safetensors to", out)
