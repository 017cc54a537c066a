#!/usr/bin/env python3
"""Extra reference cases (format `rnn-reference/1`) for gornn's trainer tests.

Same format, same math and same conventions as the team generator
(the team workspace's shared/reference/gen_cases.py, described in FORMAT.md
beside this script); the
layer and optimizer code below is an adaptation of it. Everything is computed
by PyTorch autograd in float64, and every recurrent forward is cross-checked
against torch.nn.LSTM / torch.nn.RNN / torch.nn.GRU with the weights mapped.

Usage (Debian's python3-torch and python3-numpy, system python):
    /usr/bin/python3 gen_extra_cases.py                 # write the extra cases
    /usr/bin/python3 gen_extra_cases.py --only NAME ... # write some of them
    /usr/bin/python3 gen_extra_cases.py --verify [FILE ...]
The default output (and --verify) directory is ../reference next to this file.

--verify recomputes every stored number of each case file (default: every
*.json in the output directory, team cases included) from its own initial
weights and batch order, cross-checks the forward against torch.nn modules,
replays SGD / RMSprop training with torch.optim as an independent check of the
hand-written update rules, and prints the largest differences.
"""
import argparse
import glob
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "reference"))
FORMAT = "rnn-reference/1"
GATES = {"dense": 1, "simple_rnn": 1, "lstm": 4, "gru": 3}


def to_json(t):
    a = t.detach().cpu().numpy() if torch.is_tensor(t) else t
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def from_json(d):
    return torch.tensor(np.asarray(d["data"], dtype=np.float64).reshape(d["shape"]))


# ---------------- Keras-layout layers written with torch ops ----------------

def run_dense(w, x, activation):
    y = x @ w["kernel"] + w["bias"]  # acts on the last axis, per time step on a sequence
    return torch.tanh(y) if activation == "tanh" else y


def run_recurrent(kind, w, x, units, return_sequences):
    n, steps, _ = x.shape
    u = units
    h = torch.zeros(n, u)
    c = torch.zeros(n, u)
    seq = []
    for t in range(steps):
        xt = x[:, t]
        if kind == "simple_rnn":
            h = torch.tanh(xt @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])
        elif kind == "lstm":  # blocks i, f, c, o
            z = xt @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
            ig = torch.sigmoid(z[:, 0:u])
            fg = torch.sigmoid(z[:, u:2 * u])
            cand = torch.tanh(z[:, 2 * u:3 * u])
            og = torch.sigmoid(z[:, 3 * u:4 * u])
            c = fg * c + ig * cand
            h = og * torch.tanh(c)
        elif kind == "gru":  # reset_after=True, blocks z, r, h; bias rows: input, recurrent
            xz = xt @ w["kernel"] + w["bias"][0]
            hz = h @ w["recurrent_kernel"] + w["bias"][1]
            zg = torch.sigmoid(xz[:, 0:u] + hz[:, 0:u])
            rg = torch.sigmoid(xz[:, u:2 * u] + hz[:, u:2 * u])
            cand = torch.tanh(xz[:, 2 * u:] + rg * hz[:, 2 * u:])
            h = zg * h + (1 - zg) * cand
        else:
            raise ValueError(kind)
        seq.append(h)
    return torch.stack(seq, 1) if return_sequences else h


def forward(layers, weights, x):
    h = x
    for spec, w in zip(layers, weights):
        if spec["type"] == "dense":
            h = run_dense(w, h, spec.get("activation", "linear"))
        else:
            h = run_recurrent(spec["type"], w, h, spec["units"], spec.get("return_sequences", False))
    return h


def forward_torch_nn(layers, weights, x):
    """The same model built from torch.nn modules, Keras weights mapped onto them."""
    h = x
    with torch.no_grad():
        for spec, w in zip(layers, weights):
            kind = spec["type"]
            if kind == "dense":
                lin = torch.nn.Linear(*w["kernel"].shape)
                lin.weight.copy_(w["kernel"].T)
                lin.bias.copy_(w["bias"])
                h = lin(h)
                if spec.get("activation", "linear") == "tanh":
                    h = torch.tanh(h)
                continue
            u = spec["units"]
            f = h.shape[2]
            if kind == "gru":
                mod = torch.nn.GRU(f, u, batch_first=True)
                # Keras blocks z, r, h  ->  torch blocks r, z, n
                reorder = lambda a: torch.cat([a[..., u:2 * u], a[..., 0:u], a[..., 2 * u:]], -1)
                mod.weight_ih_l0.copy_(reorder(w["kernel"]).T)
                mod.weight_hh_l0.copy_(reorder(w["recurrent_kernel"]).T)
                mod.bias_ih_l0.copy_(reorder(w["bias"][0]))
                mod.bias_hh_l0.copy_(reorder(w["bias"][1]))
            else:
                # LSTM: Keras i, f, c, o is torch's i, f, g, o; one Keras bias, so torch's hh bias is 0
                mod = (torch.nn.LSTM if kind == "lstm" else torch.nn.RNN)(f, u, batch_first=True)
                mod.weight_ih_l0.copy_(w["kernel"].T)
                mod.weight_hh_l0.copy_(w["recurrent_kernel"].T)
                mod.bias_ih_l0.copy_(w["bias"])
                mod.bias_hh_l0.zero_()
            out, _ = mod(h)
            h = out if spec.get("return_sequences", False) else out[:, -1]
    return h


def loss_of(name, pred, y):
    d = pred - y
    if name == "mse":
        return (d * d).mean()
    if name == "mae":
        return d.abs().mean()
    raise ValueError(name)


# ---------------- optimizers: the rules written in FORMAT.md ----------------

class Optimizer:
    def __init__(self, spec, keras3_rmsprop_eps=False):
        self.spec = spec
        self.slots = {}
        self.t = 0
        # FORMAT.md's RMSprop divides by sqrt(v)+eps; Keras 3 divides by sqrt(v+eps).
        # Only --verify uses the latter, to report how far apart the two are.
        self.keras3_rmsprop_eps = keras3_rmsprop_eps

    def step(self, params):
        s = self.spec
        lr = s["learning_rate"]
        self.t += 1
        with torch.no_grad():
            for k, p in enumerate(params):
                g = p.grad
                slot = self.slots.setdefault(k, {})
                if s["type"] == "sgd":
                    mu = s.get("momentum", 0.0)
                    if mu == 0.0:
                        p -= lr * g
                        continue
                    v = slot.setdefault("v", torch.zeros_like(p))
                    v.mul_(mu).sub_(lr * g)
                    if s.get("nesterov", False):
                        p += mu * v - lr * g
                    else:
                        p += v
                elif s["type"] == "adam":
                    b1 = s.get("beta_1", 0.9)
                    b2 = s.get("beta_2", 0.999)
                    eps = s.get("epsilon", 1e-7)
                    m = slot.setdefault("m", torch.zeros_like(p))
                    v = slot.setdefault("v", torch.zeros_like(p))
                    m += (g - m) * (1 - b1)
                    v += (g * g - v) * (1 - b2)
                    alpha = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
                    p -= alpha * m / (v.sqrt() + eps)
                elif s["type"] == "rmsprop":
                    rho = s.get("rho", 0.9)
                    eps = s.get("epsilon", 1e-7)
                    v = slot.setdefault("v", torch.zeros_like(p))
                    v.mul_(rho).add_((1 - rho) * g * g)
                    if self.keras3_rmsprop_eps:
                        p -= lr * g / (v + eps).sqrt()
                    else:
                        p -= lr * g / (v.sqrt() + eps)
                else:
                    raise ValueError(s["type"])


def torch_optim(spec, params):
    """torch.optim equivalent of an optimizer spec, where one exists exactly (constant lr)."""
    if spec["type"] == "sgd":
        # torch: v = mu v + g, w -= lr v (Nesterov: w -= lr (g + mu v)); the same steps as Keras's.
        return torch.optim.SGD(params, lr=spec["learning_rate"], momentum=spec.get("momentum", 0.0),
                               nesterov=spec.get("nesterov", False))
    if spec["type"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec["learning_rate"], alpha=spec.get("rho", 0.9),
                                   eps=spec.get("epsilon", 1e-7))
    return None  # torch's Adam puts epsilon elsewhere, so it is not the same rule


# ---------------- cases ----------------

def init_weights(layers, features, rng, scale, decimals):
    """Normal(0, scale) weights, rounded to `decimals` places (short, exact JSON numbers)."""
    out = []
    f = features
    for spec in layers:
        kind = spec["type"]
        width = GATES[kind] * spec["units"]
        w = {"kernel": rng.normal(0, scale, (f, width))}
        if kind != "dense":
            w["recurrent_kernel"] = rng.normal(0, scale, (spec["units"], width))
        w["bias"] = rng.normal(0, scale, (2, width) if kind == "gru" else (width,))
        out.append({k: torch.tensor(np.round(v, decimals), requires_grad=True) for k, v in w.items()})
        f = spec["units"]
    return out


def weights_json(weights):
    return [{k: to_json(v) for k, v in w.items()} for w in weights]


def batch_order(n, batch_size, epochs, rng):
    order = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        order.append([perm[s:s + batch_size].tolist() for s in range(0, n, batch_size)])
    return order


def train_run(layers, weights, x, y, loss, optimizer, order, opt=None):
    params = [v for w in weights for v in w.values()]
    opt = opt or Optimizer(optimizer)
    epoch_loss = []
    n = x.shape[0]
    for batches in order:
        total = 0.0
        for b in batches:
            for p in params:
                p.grad = None
            lb = loss_of(loss, forward(layers, weights, x[b]), y[b])
            lb.backward()
            if isinstance(opt, torch.optim.Optimizer):
                opt.step()
            else:
                opt.step(params)
            total += float(lb) * len(b)
        epoch_loss.append(total / n)
    return epoch_loss


def make_case(name, description, layers, x, y, loss, train, seed, scale=0.3, decimals=4):
    rng = np.random.default_rng(seed)
    xt = torch.tensor(x)
    yt = torch.tensor(y)
    weights = init_weights(layers, x.shape[2], rng, scale, decimals)
    initial = weights_json(weights)

    xg = xt.clone().requires_grad_(True)
    out = forward(layers, weights, xg)
    ref = forward_torch_nn(layers, weights, xt)
    err = float((out - ref).abs().max())
    assert err < 1e-12, f"{name}: torch.nn cross-check failed ({err:g})"
    assert tuple(out.shape) == tuple(yt.shape), f"{name}: y shape {tuple(yt.shape)} != output {tuple(out.shape)}"
    l = loss_of(loss, out, yt)
    l.backward()
    check = {
        "output": to_json(out),
        "loss": float(l),
        "grads": [{k: to_json(v.grad) for k, v in w.items()} for w in weights],
        "input_grad": to_json(xg.grad),
    }

    case = {
        "format": FORMAT,
        "name": name,
        "description": description,
        "generator": f"PyTorch {torch.__version__} autograd, float64 (trainers/testdata/refgen/gen_extra_cases.py)",
        "dtype": "float64",
        "model": {"input_shape": list(x.shape[1:]), "layers": layers},
        "loss": loss,
        "weights": initial,
        "x": to_json(x),
        "y": to_json(y),
        "check": check,
    }
    order = batch_order(x.shape[0], train["batch_size"], train["epochs"], np.random.default_rng(seed + 1000))
    epoch_loss = train_run(layers, weights, xt, yt, loss, train["optimizer"], order)
    case["train"] = {
        "optimizer": train["optimizer"],
        "batch_size": train["batch_size"],
        "epochs": train["epochs"],
        "batches": order,
        "epoch_loss": epoch_loss,
        "final_weights": weights_json(weights),
    }
    print(f"{name}: torch.nn forward cross-check max |diff| {err:.2e}", file=sys.stderr)
    return case


def noisy_sine_series(n, steps, rng, noise=0.1):
    """n series of steps+1 points of sin with random phase; x = first steps points, y = next-step targets."""
    ts = np.linspace(0, 4 * np.pi, steps + 1)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    s = np.sin(ts[None, :] + phase) + noise * rng.standard_normal((n, steps + 1))
    s = np.round(s, 6)
    return s[:, :-1, None], s[:, 1:, None]


def extra_cases():
    rng = np.random.default_rng(20240601)
    r = lambda *shape: np.round(rng.normal(0, 1, shape), 6)

    yield make_case(
        "gru_last_sgd",
        "GRU(5, reset_after) returning the last state + Dense(2); plain SGD(0.05); 7 samples in batches of 3, "
        "so every epoch ends with a batch of 1.",
        [{"type": "gru", "units": 5}, {"type": "dense", "units": 2}],
        r(7, 6, 3), r(7, 2), "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.05}, "batch_size": 3, "epochs": 3}, seed=11)

    yield make_case(
        "simple_rnn_mae_momentum",
        "SimpleRNN(4, return_sequences) + Dense(1) per time step; MAE loss; SGD(0.02) with momentum 0.9, "
        "no Nesterov; 8 samples in batches of 3.",
        [{"type": "simple_rnn", "units": 4, "return_sequences": True}, {"type": "dense", "units": 1}],
        r(8, 5, 2), r(8, 5, 1), "mae",
        {"optimizer": {"type": "sgd", "learning_rate": 0.02, "momentum": 0.9}, "batch_size": 3, "epochs": 4},
        seed=12)

    yield make_case(
        "dense_only_tanh_adam",
        "No recurrent layer: Dense(3, tanh) -> Dense(1) on [5, 2] inputs, applied to the last axis "
        "(per time step, like Keras), output [n, 5, 1]; Adam(0.01); 9 samples in batches of 4.",
        [{"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dense", "units": 1}],
        r(9, 5, 2), r(9, 5, 1), "mse",
        {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 4, "epochs": 5}, seed=13)

    # U = 128: the four gate blocks are 128 columns wide each, so a kernel that
    # slices or tiles gates in 128-wide chunks wrongly (or reuses one block for
    # all four) gives different numbers. Weights are independent draws per
    # block; the assert below guards that the blocks really differ.
    case = make_case(
        "lstm_u128_sgd",
        "LSTM(128) returning the last state + Dense(1); input [4, 2], 6 samples, batch 3, 1 epoch of SGD(0.05). "
        "Gate blocks (i, f, c, o) are 128 columns each and have clearly different weights, so collapsed or "
        "misaligned gate slicing at a multiple of 128 shows.",
        [{"type": "lstm", "units": 128}, {"type": "dense", "units": 1}],
        r(6, 4, 2), r(6, 1), "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.05}, "batch_size": 3, "epochs": 1},
        seed=14, scale=0.1)
    for key in ("kernel", "recurrent_kernel", "bias"):
        w = from_json(case["weights"][0][key])
        blocks = [w[..., 128 * k:128 * (k + 1)] for k in range(4)]
        for a in range(4):
            for b in range(a + 1, 4):
                assert float((blocks[a] - blocks[b]).abs().mean()) > 0.05, f"lstm_u128_sgd: gate blocks {a},{b} of {key} too alike"
    yield case

    xs, ys = noisy_sine_series(3, 300, rng)
    yield make_case(
        "simple_rnn_t300",
        "SimpleRNN(3, return_sequences) + Dense(1) per time step over 300 time steps (past 256); 3 noisy sine "
        "series, next-step targets; one batch of 3, 1 epoch of SGD(0.01).",
        [{"type": "simple_rnn", "units": 3, "return_sequences": True}, {"type": "dense", "units": 1}],
        xs, ys, "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.01}, "batch_size": 3, "epochs": 1}, seed=15)

    yield make_case(
        "stacked_gru_lstm_rmsprop",
        "GRU(4, return_sequences) -> LSTM(3, return_sequences) -> Dense(2) per time step; RMSprop(0.005) "
        "(FORMAT.md rule); 10 samples in batches of 4.",
        [{"type": "gru", "units": 4, "return_sequences": True},
         {"type": "lstm", "units": 3, "return_sequences": True},
         {"type": "dense", "units": 2}],
        r(10, 6, 3), r(10, 6, 2), "mse",
        {"optimizer": {"type": "rmsprop", "learning_rate": 0.005}, "batch_size": 4, "epochs": 4}, seed=16)


# ---------------- verification of stored cases ----------------

def max_diff(a, b):
    a = from_json(a) if isinstance(a, dict) else torch.as_tensor(a)
    b = b.detach() if torch.is_tensor(b) else torch.as_tensor(b)
    if tuple(a.shape) != tuple(b.shape):
        return float("inf")
    return float((a - b).abs().max()) if a.numel() else 0.0


def load_weights(wj):
    return [{k: from_json(v).requires_grad_(True) for k, v in w.items()} for w in wj]


def weights_diff(stored, weights):
    return max(max_diff(stored[i][k], w[k]) for i, w in enumerate(weights) for k in w)


def verify(path):
    c = json.load(open(path))
    assert c["format"] == FORMAT, c["format"]
    layers = c["model"]["layers"]
    x = from_json(c["x"])
    y = from_json(c["y"])
    assert list(x.shape[1:]) == c["model"]["input_shape"]
    weights = load_weights(c["weights"])
    for spec, w in zip(layers, weights):
        exp = {"kernel", "bias"} | ({"recurrent_kernel"} if spec["type"] != "dense" else set())
        assert set(w) == exp, (spec, sorted(w))
    xg = x.clone().requires_grad_(True)
    out = forward(layers, weights, xg)
    r = {"torch.nn": float((out - forward_torch_nn(layers, weights, x)).abs().max()),
         "output": max_diff(c["check"]["output"], out)}
    l = loss_of(c["loss"], out, y)
    l.backward()
    r["loss"] = abs(float(l) - c["check"]["loss"])
    r["grads"] = max(max_diff(c["check"]["grads"][i][k], w[k].grad) for i, w in enumerate(weights) for k in w)
    r["input_grad"] = max_diff(c["check"]["input_grad"], xg.grad)
    notes = []
    tr = c.get("train")
    if tr:
        n = x.shape[0]
        for e, batches in enumerate(tr["batches"]):
            flat = sorted(i for b in batches for i in b)
            assert flat == list(range(n)), f"epoch {e} does not take every sample once"
            assert all(len(b) == tr["batch_size"] for b in batches[:-1]) and 0 < len(batches[-1]) <= tr["batch_size"]
        assert len(tr["batches"]) == tr["epochs"] == len(tr["epoch_loss"])
        spec = tr["optimizer"]
        w1 = load_weights(c["weights"])
        el = train_run(layers, w1, x, y, c["loss"], spec, tr["batches"])
        r["epoch_loss"] = max(abs(a - b) for a, b in zip(el, tr["epoch_loss"]))
        r["final_weights"] = weights_diff(tr["final_weights"], w1)
        w2 = load_weights(c["weights"])
        topt = torch_optim(spec, [v for w in w2 for v in w.values()])
        if topt is not None:
            train_run(layers, w2, x, y, c["loss"], spec, tr["batches"], opt=topt)
            r["final_weights(torch.optim)"] = weights_diff(tr["final_weights"], w2)
        if spec["type"] == "rmsprop":
            w3 = load_weights(c["weights"])
            train_run(layers, w3, x, y, c["loss"], spec, tr["batches"], opt=Optimizer(spec, keras3_rmsprop_eps=True))
            notes.append(f"Keras-3 RMSprop (sqrt(v+eps)) would differ from stored final_weights by "
                         f"{weights_diff(tr['final_weights'], w3):.2e}")
    return r, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="write only these cases")
    ap.add_argument("--verify", nargs="*", metavar="FILE", help="check stored case files instead of writing")
    args = ap.parse_args()

    if args.verify is not None:
        files = args.verify or sorted(glob.glob(os.path.join(args.out, "*.json")))
        worst = 0.0
        for f in files:
            r, notes = verify(f)
            worst = max([worst] + list(r.values()))
            print(os.path.basename(f) + ": " + ", ".join(f"{k} {v:.1e}" for k, v in r.items()))
            for n in notes:
                print("    note: " + n)
        print(f"largest difference over {len(files)} files: {worst:.2e}")
        sys.exit(0 if worst < 1e-8 else 1)

    os.makedirs(args.out, exist_ok=True)
    for case in extra_cases():
        if args.only and case["name"] not in args.only:
            continue
        path = os.path.join(args.out, case["name"] + ".json")
        with open(path, "w") as f:
            json.dump(case, f, separators=(",", ":"))
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
