#!/usr/bin/env python3
"""Writes the small files examples/ ships for README.md's Java blocks (ReadmeExamplesTest runs them).

From the repository root: python3 examples/make_examples.py
- textcnn.safetensors: the PyTorch TextCNN's state_dict (fixtures/models/textcnn.safetensors without its
  reference tensors), float32
- lenet.safetensors: a LeNet-style model file (a copy of fixtures/models/lenet_model.safetensors)
- segment.safetensors: a small segmentation graph model file with a dict output {"out", "aux"}
  (fixtures/graphs/segment_eval.safetensors without its reference tensors), float32
- tiny_mlp.onnx: Linear(8, 16) -> ReLU -> Linear(16, 3) exported by torch.onnx.export (opset 13)
"""
import json
import shutil
import struct

import numpy as np

REFERENCE_PREFIXES = ("input", "output", "grad")
DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64}


def strip(src, dst, drop_metadata=("reference", "training")):
    raw = open(src, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = {k: v for k, v in header.pop("__metadata__", {}).items() if k not in drop_metadata}
    data = raw[8 + n:]
    out_header, blobs, offset = {}, [], 0
    for name, t in header.items():
        if name.startswith(REFERENCE_PREFIXES):
            continue
        start, end = t["data_offsets"]
        a = np.frombuffer(data[start:end], dtype=DTYPES[t["dtype"]])
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        out_header[name] = {"dtype": "F32" if a.dtype == np.float32 else "I64", "shape": t["shape"],
                            "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if meta:
        out_header["__metadata__"] = meta
    h = json.dumps(out_header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def tiny_onnx(dst):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)).eval()
    torch.onnx.export(model, torch.zeros(1, 8), dst, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


if __name__ == "__main__":
    strip("fixtures/models/textcnn.safetensors", "examples/textcnn.safetensors")
    shutil.copyfile("fixtures/models/lenet_model.safetensors", "examples/lenet.safetensors")
    strip("fixtures/graphs/segment_eval.safetensors", "examples/segment.safetensors")
    tiny_onnx("examples/tiny_mlp.onnx")
