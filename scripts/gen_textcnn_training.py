#!/usr/bin/python3
"""The TextCNN training example's data and PyTorch's loss curve: fixtures/models/textcnn_train.safetensors.

A synthetic task: sequences of 16 token ids from a vocabulary of 40; class 0, 1 or 2 tells which of the
"keywords" 5, 6, 7 occurs most often (ties: the smaller id), with 30 % of tokens noise. The TextCNN of
gen_model_refs.py (dropout 0, so that both sides see the same function) is trained with Adam (lr 0.02) on
8 fixed batches of 16 sequences, cycled, for 100 steps, in float64 from float32 initial weights.
Tensors: the initial state_dict, `batch<i>.input` (I64 [16, 16]), `batch<i>.target` (I64 [16]),
`torch.loss` ([100], each step's loss before its update), `final.<name>` (the weights after training).

Usage: /usr/bin/python3 scripts/gen_textcnn_training.py fixtures/models
"""
import os, sys
import torch
import torch.nn as nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_refs import TextCNN, write

VOCAB, LEN, BATCH, BATCHES, STEPS, LR = 40, 16, 16, 8, 100, 0.02


def main(out):
    torch.manual_seed(7)  # the default initialization draws from the global generator
    gen = torch.Generator().manual_seed(7)
    m = TextCNN(VOCAB, 8, 12, 3, 3, padding_idx=0)
    m.dropout.p = 0.0
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.float())  # PyTorch's default init, rounded to float32
        m.embedding.weight[0].zero_()
    t = {k: v.detach().clone().float() for k, v in m.state_dict().items()}
    batches = []
    for b in range(BATCHES):
        x = torch.randint(1, VOCAB, (BATCH, LEN), generator=gen)
        keys = torch.randint(5, 8, (BATCH, LEN), generator=gen)
        keep = torch.rand((BATCH, LEN), generator=gen) < 0.7
        x = torch.where(keep, keys, x)
        counts = torch.stack([(x == k).sum(1) for k in (5, 6, 7)], 1)
        y = counts.argmax(1)
        t["batch%d.input" % b] = x
        t["batch%d.target" % b] = y
        batches.append((x, y))
    m = m.double()
    opt = torch.optim.Adam(m.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for i in range(STEPS):
        x, y = batches[i % BATCHES]
        m.train()
        opt.zero_grad()
        loss = loss_fn(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    t["torch.loss"] = torch.tensor(losses, dtype=torch.float64)
    for k, v in m.state_dict().items():
        t["final." + k] = v
    write(os.path.join(out, "textcnn_train.safetensors"), t)
    print("loss %.4f -> %.4f; wrote textcnn_train.safetensors" % (losses[0], losses[-1]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures/models")
