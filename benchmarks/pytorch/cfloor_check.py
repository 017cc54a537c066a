#!/usr/bin/env python3
"""Check the C floor's gradients (benchmarks/cfloor/floor.c) against PyTorch's autograd.

The Go test writes, for each seed model, the floor's input and its output
after one training step:

    GORNN_FLOOR_DUMP=/tmp/floor go test -run 'TestFloor/OneStep' ./benchmarks
    /usr/bin/python3 benchmarks/pytorch/cfloor_check.py /tmp/floor

For LSTM, SimpleRNN and GRU it builds the torch model with the same weights
(gornn's gate-major blocks mapped to torch's layout; torch's GRU gates are
r, z, n where Keras' are z, r, h), runs the same first batch forward and
backward with MSE, and compares the loss and every gradient with the C
floor's, within 1e-5 of each tensor's largest value. Exits 1 on a mismatch.
"""
import os
import struct
import sys

import numpy as np
import torch

torch.set_num_threads(1)
KINDS = {0: "LSTM", 1: "SimpleRNN", 2: "GRU"}
GATES = {0: (4, 4), 1: (1, 1), 2: (3, 6)}  # gate blocks, bias rows
TOL = 1e-5


def read_input(path):
    b = open(path, "rb").read()
    hd = struct.unpack_from("<10i", b, 0)
    if hd[0] != 0x464E5247 or hd[1] != 1:
        raise SystemExit(f"{path}: not a version-1 floor input")
    kind, n, t, u, batch, epochs = hd[2:8]
    (lr,) = struct.unpack_from("<d", b, 40)
    g, rows = GATES[kind]
    off = 48
    arrays = []
    for count in (n * t, n * t, g * u, g * u * u, rows * u, u, 1):
        arrays.append(np.frombuffer(b, dtype="<f4", count=count, offset=off).copy())
        off += 4 * count
    perm = np.frombuffer(b, dtype="<i4", count=epochs * n, offset=off)
    x, y = arrays[0].reshape(n, t, 1), arrays[1].reshape(n, t, 1)
    return dict(kind=kind, n=n, t=t, u=u, g=g, rows=rows, batch=batch, lr=lr, x=x, y=y, params=arrays[2:], perm=perm)


def read_output(path, inp):
    b = open(path, "rb").read()
    sizes = [p.size for p in inp["params"]]
    out, off = [], 0
    for _ in range(2):
        for s in sizes:
            out.append(np.frombuffer(b, dtype="<f4", count=s, offset=off))
            off += 4 * s
    return out[:5], out[5:]


def torch_grads(inp):
    """gornn-layout gradients of one step's MSE, computed by torch autograd."""
    kind, u, g = inp["kind"], inp["u"], inp["g"]
    kernel, rec, bias, dk, db = [torch.tensor(p) for p in inp["params"]]
    kernel, rec = kernel.reshape(g, u), rec.reshape(g, u, u)  # [G, U], [G, U_in, U_out]
    order = [1, 0, 2] if kind == 2 else list(range(g))  # torch gate k is gornn gate order[k]
    cls = {0: torch.nn.LSTM, 1: torch.nn.RNN, 2: torch.nn.GRU}[kind]
    rnn = cls(1, u, batch_first=True)
    head = torch.nn.Linear(u, 1)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.cat([kernel[k].reshape(u, 1) for k in order]))
        rnn.weight_hh_l0.copy_(torch.cat([rec[k].T for k in order]))
        if kind == 2:
            bias = bias.reshape(6, u)
            rnn.bias_ih_l0.copy_(torch.cat([bias[k] for k in order]))
            rnn.bias_hh_l0.copy_(torch.cat([bias[3 + k] for k in order]))
        else:
            rnn.bias_ih_l0.copy_(bias)
            rnn.bias_hh_l0.zero_()
        head.weight.copy_(dk.reshape(1, u))
        head.bias.copy_(db)
    idx = torch.tensor(inp["perm"][: min(inp["batch"], inp["n"])].astype(np.int64))
    x, y = torch.tensor(inp["x"])[idx], torch.tensor(inp["y"])[idx]
    out, _ = rnn(x)
    loss = torch.nn.functional.mse_loss(head(out), y)
    loss.backward()
    gi, gh = rnn.weight_ih_l0.grad.reshape(g, u), rnn.weight_hh_l0.grad.reshape(g, u, u)
    inv = {k: i for i, k in enumerate(order)}  # gornn gate -> torch block
    gk = torch.stack([gi[inv[k]] for k in range(g)])
    gr = torch.stack([gh[inv[k]].T for k in range(g)])
    if kind == 2:
        bi, bh = rnn.bias_ih_l0.grad.reshape(g, u), rnn.bias_hh_l0.grad.reshape(g, u)
        gb = torch.cat([torch.stack([bi[inv[k]] for k in range(g)]), torch.stack([bh[inv[k]] for k in range(g)])])
    else:
        gb = rnn.bias_ih_l0.grad.reshape(g, u)
    grads = [gk, gr, gb, head.weight.grad.reshape(u), head.bias.grad.reshape(1)]
    return loss.item(), [t.detach().numpy().reshape(-1) for t in grads]


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    d, bad, done = sys.argv[1], 0, 0
    names = ["kernel", "recurrent kernel", "bias", "dense kernel", "dense bias"]
    for kind, name in KINDS.items():
        ip, op = os.path.join(d, f"{name}.input.bin"), os.path.join(d, f"{name}.output.bin")
        if not os.path.exists(ip):
            continue
        inp = read_input(ip)
        _, cgrads = read_output(op, inp)
        loss, tgrads = torch_grads(inp)
        done += 1
        for nm, c, t in zip(names, cgrads, tgrads):
            scale = float(np.max(np.abs(t))) or 1e-30
            err = float(np.max(np.abs(c.astype(np.float64) - t.astype(np.float64)))) / scale
            ok = err <= TOL
            bad += not ok
            print(f"{name:9} gradient of the {nm:16}: largest difference {err:.2e} of the largest |value| {scale:.3g}"
                  f"{'' if ok else '  MISMATCH'}")
        print(f"{name:9} torch loss {loss:.9g}")
    if not done:
        raise SystemExit(f"no floor dumps in {d} (run the Go test with GORNN_FLOOR_DUMP={d})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
