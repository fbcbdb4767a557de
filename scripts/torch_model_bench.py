#!/usr/bin/python3
"""PyTorch's side of `./layers4j bench --model`: median ms of an eval forward (or, with --backward, forward +
backward of sum(output); with --train, a full training step: cross-entropy, backward, SGD momentum 0.9) of torchvision's resnet18 / resnet34 or of a
layers4j model file (read with scripts/torch_models.py), on the CPU.

Usage: /usr/bin/python3 scripts/torch_model_bench.py MODEL [--input-shape 8,3,224,224 | --input IN.safetensors]
       [--threads 2] [--reps 10] [--warmup-seconds 1] [--backward | --train] [--json OUT.json] [--output OUT.safetensors]
       MODEL: resnet18 | resnet34 | FILE.safetensors

--input: the tensor 'input' of a safetensors file (or its only tensor) instead of seeded torch.randn of --input-shape;
--output: also write the eval outputs on that input (before timing; `output`, or one tensor per key of a dict output);
--json: also write the median, every timed run's ms, the threads and the versions (benchmarks/protocol.py reads it).
"""
import argparse, json, os, statistics, sys, time
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--input-shape", default="8,3,224,224")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup-seconds", type=float, default=1.0)
    ap.add_argument("--backward", action="store_true")
    ap.add_argument("--train", action="store_true", help="a full training step: cross-entropy, backward, SGD(momentum 0.9)")
    ap.add_argument("--input", help="the input: tensor 'input' of this safetensors file (or its only tensor)")
    ap.add_argument("--output", help="also write the eval outputs on the input here (safetensors), before timing")
    ap.add_argument("--json", help="also write the results here as JSON")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    import torch_models
    if a.model in ("resnet18", "resnet34"):
        m = getattr(torchvision.models, a.model)(num_classes=1000)
    else:
        m = torch_models.load(a.model)
    if a.input:
        tensors, _ = torch_models.read_safetensors(a.input)
        if "input" not in tensors and len(tensors) != 1:
            sys.exit("%s holds no tensor 'input' and %d tensors %s" % (a.input, len(tensors), list(tensors)))
        x = (tensors["input"] if "input" in tensors else next(iter(tensors.values()))).float().contiguous()
        shape = list(x.shape)
    else:
        shape = [int(s) for s in a.input_shape.split(",")]
        x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    if a.output:
        m.eval()
        with torch.no_grad():
            y = m(x)
        torch_models.write_safetensors(a.output, {k: v.contiguous() for k, v in torch_models.output_tensors(y).items()},
                                       {"format": "pt", "reference": "torch %s float32 eval" % torch.__version__})
    m.train(a.backward or a.train)
    with torch.no_grad():
        classes = m(x).shape[-1]
    targets = torch.randint(0, classes, (shape[0],), generator=torch.Generator().manual_seed(1))
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def once():
        if a.train:
            opt.zero_grad()
            loss_fn(m(x), targets).backward()
            opt.step()
        elif a.backward:
            m.zero_grad()
            m(x).sum().backward()
        else:
            with torch.no_grad():
                m(x)

    end = time.perf_counter() + a.warmup_seconds
    once()
    while time.perf_counter() < end:
        once()
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1e3)
    median = statistics.median(times)
    print("torch %s threads %d model %s input %s %s: median %.3f ms" % (torch.__version__, a.threads, a.model,
          shape, "training step (CE + SGD)" if a.train else "forward + backward" if a.backward else "eval forward", median))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"system": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
                       "model": a.model, "input_shape": shape, "input_file": a.input,
                       "mode": "train" if a.train else "backward" if a.backward else "forward",
                       "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
                       "reps": a.reps, "median_ms": median, "times_ms": times}, f, indent=1)


if __name__ == "__main__":
    main()
