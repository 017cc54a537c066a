#!/usr/bin/env python3
"""Generate gornn's own reference cases, format `rnn-reference/2+gornn` (FORMAT-v2-gornn.md).

The format is format 2 (FORMAT-v2.md, gen_cases_v2.py, copied unchanged from the
team's reference set) with three additions the team format does not have:

* dropout with given masks: a `dropout` layer and the `dropout` / `recurrent_dropout`
  of the recurrent layers, with the masks stored in the case (`dropout_masks` for the
  check batch, `train.dropout_masks` for every training step);
* the Bidirectional merge modes `mul` and `ave`;
* initial and final states of Bidirectional layers (forward states, then backward ones:
  Keras' order; torch's h0 = stack([forward, backward]));
* graph models of several inputs (`model.inputs`, per-layer `inputs` and
  `initial_state`), such as an encoder-decoder whose encoder's final states start the
  decoder, with merge layers (`concatenate`, `add`) and state sources (`{"layer": j,
  "state": s}`, a list of them as `initial_state`), and of several outputs
  (`model.outputs`, a loss per output, `loss_weights`).

Every number is computed by a Keras-layout implementation in torch tensor ops with
autograd (the one of gen_cases_v2.py, extended here), and every forward pass (the
check batch and every training batch) is run a second time through torch.nn modules
with the weights mapped: nn.LSTM / nn.GRU / nn.RNN (bidirectional=True, hx from the
encoder's (h_n, c_n)), and, where recurrent dropout multiplies the state, nn.LSTMCell
/ nn.RNNCell stepped by hand on (x_t * input mask, (h * recurrent mask, c)), which is
exactly Keras 3's recurrent dropout. Outputs, losses, final states and gradients must
agree to 1e-12.

Usage:
  python3 gen_cases_gornn.py --out DIR            write the cases into DIR
  python3 gen_cases_gornn.py --out DIR --verify   regenerate and compare with the files in DIR
Needs python3-torch (1.13) and python3-numpy (Debian packages).
"""
import argparse
import filecmp
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True   # no __pycache__ beside the cases
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_cases_v2 as v2  # noqa: E402  (the team generator: cells, optimizers, cross-check)
from gen_cases_v2 import (RECURRENT, STATE_KEYS, TOL_FORWARD, TOL_GRAD, bias_on, cell_weights, flat_items,  # noqa: E402
                          gru_perm, loss_fn, n_states, params_of, seq, sine_batch, tensor_json,
                          time_mask, to_leaves, tree_grads, tree_json)

FORMAT = "rnn-reference/2+gornn"
MERGE_MODES = ("concat", "sum", "mul", "ave")


# ---------- model description ----------

def sources(layers, k):
    """The sources layer k reads: its `inputs`, or (a chain) the layer before it / input 0."""
    if "inputs" in layers[k]:
        return layers[k]["inputs"]
    return [{"layer": k - 1}] if k > 0 else [{"input": 0}]


def state_names(spec):
    """The names of a layer's states, in order: h (and c for lstm); for a
    bidirectional layer the forward ones then the backward ones (Keras' order)."""
    if spec["type"] == "bidirectional":
        inner = STATE_KEYS[:n_states(spec["layer"]["type"])]
        return [f"{d}/{k}" for d in ("forward", "backward") for k in inner]
    return list(STATE_KEYS[:n_states(spec["type"])])


def states_tree(spec, st):
    """{name: tensor} (bidirectional: {"forward": {...}, "backward": {...}}) of a state tuple."""
    out = {}
    for name, a in zip(state_names(spec), st):
        if "/" in name:
            d, k = name.split("/")
            out.setdefault(d, {})[k] = a
        else:
            out[name] = a
    return out


def states_tuple(spec, tree):
    return tuple(tree[n] if "/" not in n else tree[n.split("/")[0]][n.split("/")[1]] for n in state_names(spec))


MERGE_LAYERS = ("concatenate", "add")


def state_units(spec):
    """The width of each of a recurrent or bidirectional layer's states."""
    return spec["layer"]["units"] if spec["type"] == "bidirectional" else spec["units"]


def initial_sources(layers, k):
    """The sources of layer k's initial states: none, or one per state ({"layer": j}: all of j's)."""
    spec = layers[k]
    st = spec.get("initial_state")
    if st is None:
        return []
    if isinstance(st, dict):
        return [{"layer": st["layer"], "state": i} for i in range(len(state_names(layers[st["layer"]])))]
    return list(st)


def states_read(layers):
    """The layers whose final states another layer reads."""
    out = set()
    for k in range(len(layers)):
        for s in sources(layers, k) + initial_sources(layers, k):
            if "state" in s:
                out.add(s["layer"])
    return out


def output_layer(model):
    return model.get("output", len(model["layers"]) - 1)


def model_outputs(model):
    """The layers whose outputs are the model's: model.outputs (several), or the one output."""
    return model.get("outputs", [output_layer(model)])


def output_losses(model, loss):
    """One loss name per output: loss is a name (every output) or a list."""
    return list(loss) if isinstance(loss, list) else [loss] * len(model_outputs(model))


def total_loss(model, loss, out, y, lengths):
    """The loss minimized and each output's: Σ_k loss_weights[k] · loss_k (several outputs)."""
    if "outputs" not in model:
        l = loss_fn(loss, out, y, lengths)
        return l, [l]
    ws = model.get("loss_weights", [1.0] * len(out))
    parts = [loss_fn(name, o, t, lengths) for name, o, t in zip(output_losses(model, loss), out, y)]
    return sum(w * p for w, p in zip(ws, parts)), parts


def flat_out(out):
    """One tensor of the model's output(s), for the cross-check."""
    return torch.cat([o.reshape(-1) for o in out]) if isinstance(out, list) else out


def merge(mode, a, b):
    if mode == "concat":
        return torch.cat([a, b], -1)
    if mode == "sum":
        return a + b
    if mode == "mul":
        return a * b
    if mode == "ave":
        return (a + b) / 2
    raise ValueError(mode)


def validate(model, xs, lengths, initial_states=None):
    layers = model["layers"]
    for k, st in (initial_states or {}).items():
        spec = layers[int(k)]
        assert spec["type"] in RECURRENT + ("bidirectional",) and "initial_state" not in spec
        assert len(st) == len(state_names(spec))
        units = spec["layer"]["units"] if spec["type"] == "bidirectional" else spec["units"]
        for a in st:
            assert a.shape == (xs[0].shape[0], units)
    graph = "inputs" in model
    n_in = len(model["inputs"]) if graph else 1
    assert len(xs) == n_in
    if graph:
        assert lengths is None, "lengths are defined for chains only"
        assert all("inputs" in l for l in layers), "a graph model lists every layer's inputs"
    used = set()
    for k, spec in enumerate(layers):
        t = spec["type"]
        src = sources(layers, k)
        assert len(src) >= 2 if t in MERGE_LAYERS else len(src) == 1, "merge layers read several sources, others one"
        for s in src + initial_sources(layers, k):
            assert ("input" in s) != ("layer" in s) and ("state" not in s or "layer" in s)
            if "input" in s:
                assert 0 <= s["input"] < n_in
                used.add(("input", s["input"]))
            else:
                assert 0 <= s["layer"] < k, "sources come before the layer"
                if "state" in s:
                    assert 0 <= s["state"] < len(state_names(layers[s["layer"]]))
                used.add(("layer", s["layer"]))
        if "initial_state" in spec:
            assert graph and t in RECURRENT
            init = initial_sources(layers, k)
            assert len(init) == n_states(t)
            if isinstance(spec["initial_state"], dict):
                j = spec["initial_state"]["layer"]
                assert layers[j]["type"] == t and layers[j]["units"] == spec["units"]
        if t in MERGE_LAYERS:
            pass
        elif t == "dropout":
            assert 0 < spec["rate"] < 1
        elif t == "dense":
            assert spec.get("activation", "linear") in v2.DENSE_ACT
        elif t in RECURRENT:
            for r in ("dropout", "recurrent_dropout"):
                assert 0 <= spec.get(r, 0.0) < 1
            if spec.get("recurrent_dropout", 0.0) > 0:
                assert t in ("lstm", "simple_rnn"), "recurrent dropout is cross-checked with nn.LSTMCell / nn.RNNCell"
            if spec.get("go_backwards", False):
                assert lengths is None
        elif t == "bidirectional":
            inner = spec["layer"]
            assert inner["type"] in RECURRENT and not inner.get("go_backwards", False)
            assert spec.get("merge_mode", "concat") in MERGE_MODES
            if inner.get("dropout", 0) or inner.get("recurrent_dropout", 0):
                # each direction draws its own masks (Keras copies the layer)
                assert lengths is None, "dropout inside bidirectional is cross-checked without lengths"
                if inner.get("recurrent_dropout", 0):
                    assert inner["type"] in ("lstm", "simple_rnn")
        else:
            raise ValueError(t)
    for i in range(n_in):
        assert ("input", i) in used, f"input {i} is read by no layer"
    if "outputs" in model:
        outs = model["outputs"]
        assert graph and len(outs) >= 2 and len(set(outs)) == len(outs) and "output" not in model
        assert all(0 <= k < len(layers) for k in outs)
        assert len(model.get("loss_weights", outs)) == len(outs)
    if lengths is not None:
        n, steps = xs[0].shape[0], xs[0].shape[1]
        assert lengths.shape == (n,) and lengths.min() >= 1 and lengths.max() <= steps
        for i, L in enumerate(lengths):
            assert np.all(xs[0][i, L:] == 0)


def source_features(model, s, feats):
    if "input" in s:
        return model_input_shapes(model)[s["input"]][-1]
    if "state" in s:
        return state_units(model["layers"][s["layer"]])
    return feats[s["layer"]]


def layer_in_features(model, k, feats):
    return source_features(model, sources(model["layers"], k)[0], feats)


def model_input_shapes(model):
    return model["inputs"] if "inputs" in model else [model["input_shape"]]


def init_weights(model, rng, scale=0.3):
    weights, feats = [], []
    for k, spec in enumerate(model["layers"]):
        t, f = spec["type"], layer_in_features(model, k, feats)
        if t in MERGE_LAYERS:
            fs = [source_features(model, s, feats) for s in sources(model["layers"], k)]
            w, out = {}, (sum(fs) if t == "concatenate" else fs[0])
        elif t == "dropout":
            w, out = {}, f
        elif t == "dense":
            w = {"kernel": rng.normal(0, scale, (f, spec["units"]))}
            if bias_on(spec):
                w["bias"] = rng.normal(0, scale, (spec["units"],))
            out = spec["units"]
        elif t in RECURRENT:
            w, out = cell_weights(t, spec["units"], f, bias_on(spec), rng, scale), spec["units"]
        else:
            inner = spec["layer"]
            w = {"forward": cell_weights(inner["type"], inner["units"], f, bias_on(inner), rng, scale),
                 "backward": cell_weights(inner["type"], inner["units"], f, bias_on(inner), rng, scale)}
            out = inner["units"] * (2 if spec.get("merge_mode", "concat") == "concat" else 1)
        feats.append(out)
        weights.append(w)
    return [to_leaves(w) for w in weights], feats


# ---------- dropout masks ----------

def mask_shapes(model, in_shapes):
    """{k: {name: shape}} of the masks a training step draws, from the shapes of the
    layers' inputs (layer_inputs): a dropout layer's mask has its input's shape, a
    recurrent layer's input mask is [n, F] and its recurrent mask [n, U]."""
    out = {}
    for k, spec in enumerate(model["layers"]):
        t, shape = spec["type"], in_shapes[k]
        if t == "dropout":
            out[str(k)] = {"mask": shape}
        elif t in RECURRENT or t == "bidirectional":
            inner = spec["layer"] if t == "bidirectional" else spec
            m = {}
            for d in (("forward/", "backward/") if t == "bidirectional" else ("",)):
                if inner.get("dropout", 0.0) > 0:
                    m[d + "input"] = (shape[0], shape[2])
                if inner.get("recurrent_dropout", 0.0) > 0:
                    m[d + "recurrent"] = (shape[0], inner["units"])
            if m:
                out[str(k)] = m
    return out


def draw_masks(model, shapes, rng):
    """Masks of Keras' inverted dropout: 0 with probability rate, else 1/(1-rate)."""
    out = {}
    for k, m in shapes.items():
        spec = model["layers"][int(k)]
        inner = spec["layer"] if spec["type"] == "bidirectional" else spec
        rates = {"mask": spec.get("rate"), "input": inner.get("dropout"), "recurrent": inner.get("recurrent_dropout")}
        out[k] = {}
        for name, shape in m.items():
            r = rates[name.split("/")[-1]]
            keep = rng.random(shape) >= r
            out[k][name] = np.where(keep, 1.0 / (1.0 - r), 0.0)
    return out


def masks_json(masks):
    return {k: {name: tensor_json(a) for name, a in m.items()} for k, m in masks.items()}


def masks_rows(masks, rows):
    return {k: {name: a[rows] for name, a in m.items()} for k, m in masks.items()}


# ---------- Keras-layout forward with torch ops (the reference) ----------

def cell_step(t, act, w, u, x_t, state, mi, mr):
    """One step of a Keras cell with Keras 3's dropout: x_t*mi enters the input products,
    h*mr the recurrent ones; the LSTM's c and the GRU's z*h_{t-1} use the undropped state."""
    xd = x_t if mi is None else x_t * mi
    if mr is None:
        return v2.cell_step(t, act, w, u, xd, state)
    h = state[0]
    hd = h * mr
    if t == "simple_rnn":
        return v2.cell_step(t, act, w, u, xd, (hd,))
    if t == "lstm":
        return v2.cell_step(t, act, w, u, xd, (hd, state[1]))
    raise ValueError("recurrent dropout of " + t)


def run_direction(spec, w, x, mask, init, reverse, mi=None, mr=None):
    t, u = spec["type"], spec["units"]
    act = spec.get("activation", "tanh")
    n, steps = x.shape[0], x.shape[1]
    state = init if init is not None else tuple(torch.zeros(n, u) for _ in range(n_states(t)))
    outs = [None] * steps
    for s in (range(steps - 1, -1, -1) if reverse else range(steps)):
        new = cell_step(t, act, w, u, x[:, s], state, mi, mr)
        if mask is None:
            state = new
            outs[s] = new[0]
        else:
            m = mask[:, s:s + 1]
            state = tuple(torch.where(m, a, b) for a, b in zip(new, state))
            outs[s] = torch.where(m, new[0], torch.zeros_like(new[0]))
    return outs, state


def layer_forward(spec, w, h, mask, init, masks, want_states=False):
    t = spec["type"]
    masks = masks or {}
    if t == "concatenate":
        return torch.cat(h, -1), None
    if t == "add":
        return sum(h[1:], h[0]), None
    if t == "dropout":
        return (h if "mask" not in masks else h * masks["mask"]), None
    if t == "dense":
        y = h @ w["kernel"]
        if "bias" in w:
            y = y + w["bias"]
        return v2.DENSE_ACT[spec.get("activation", "linear")](y), None
    if t in RECURRENT:
        back = spec.get("go_backwards", False)
        outs, state = run_direction(spec, w, h, mask, init, back, masks.get("input"), masks.get("recurrent"))
        if seq(spec):
            out = torch.stack(outs, 1)
            return (out.flip(1) if back else out), state
        return state[0], state
    inner = spec["layer"]
    half = n_states(inner["type"])
    fi, bi = (None, None) if init is None else (tuple(init[:half]), tuple(init[half:]))
    of, sf = run_direction(inner, w["forward"], h, mask, fi, False, masks.get("forward/input"), masks.get("forward/recurrent"))
    ob, sb = run_direction(inner, w["backward"], h, mask, bi, True, masks.get("backward/input"), masks.get("backward/recurrent"))
    a, b = (torch.stack(of, 1), torch.stack(ob, 1)) if seq(inner) else (sf[0], sb[0])
    return merge(spec.get("merge_mode", "concat"), a, b), (sf + sb if init is not None or want_states else None)


def forward(model, weights, xs, lengths, masks, in_shapes=None, init_states=None):
    """The model's output and the final states of its recurrent layers, with the given
    dropout masks ({} in inference: nothing is dropped); in_shapes, if given, receives
    the shape of every layer's input."""
    layers = model["layers"]
    mask = time_mask(lengths, xs[0].shape[1])
    outs, finals = {}, {}
    read = states_read(layers)

    def value(s):
        if "input" in s:
            return xs[s["input"]]
        return finals[str(s["layer"])][s["state"]] if "state" in s else outs[s["layer"]]
    for k, (spec, w) in enumerate(zip(layers, weights)):
        hs = [value(s) for s in sources(layers, k)]
        h = hs if spec["type"] in MERGE_LAYERS else hs[0]
        if in_shapes is not None:
            in_shapes[k] = tuple(hs[0].shape)
        init = tuple(value(s) for s in initial_sources(layers, k)) or None
        if init_states and str(k) in init_states:
            init = init_states[str(k)]
        outs[k], st = layer_forward(spec, w, h, mask, init, {n: torch.tensor(a) for n, a in masks.get(str(k), {}).items()},
                                    k in read)
        if st is not None:
            finals[str(k)] = st
    if "outputs" in model:
        return [outs[k] for k in model["outputs"]], finals
    return outs[output_layer(model)], finals


# ---------- the same model with torch.nn modules (cross-check) ----------

def nn_cell(spec, f, w):
    """nn.LSTMCell / nn.RNNCell with the Keras weights mapped, and its gradient function."""
    t, u = spec["type"], spec["units"]
    if t == "lstm":
        m = torch.nn.LSTMCell(f, u, bias=bias_on(spec))
    else:
        m = torch.nn.RNNCell(f, u, bias=bias_on(spec), nonlinearity=spec.get("activation", "tanh"))
    with torch.no_grad():
        m.weight_ih.copy_(w["kernel"].T)
        m.weight_hh.copy_(w["recurrent_kernel"].T)
        if bias_on(spec):
            m.bias_ih.copy_(w["bias"])
            m.bias_hh.zero_()

    def grads():
        g = {"kernel": m.weight_ih.grad.T, "recurrent_kernel": m.weight_hh.grad.T}
        if bias_on(spec):
            assert float((m.bias_ih.grad - m.bias_hh.grad).abs().max()) <= 1e-13 * max(1.0, float(m.bias_ih.grad.abs().max()))
            g["bias"] = m.bias_ih.grad
        return g
    return m, grads


def nn_direction(spec, w, h, mi, mr, reverse):
    """One direction of a recurrent layer through torch.nn, with its dropout masks: its outputs
    aligned with the input positions [n, T, U] and its gradient function. Without a recurrent
    mask a unidirectional nn.LSTM/GRU/RNN over the (reversed) dropped input; with one,
    nn.LSTMCell/nn.RNNCell stepped by hand on the dropped state."""
    u = spec["units"]
    x = h if mi is None else h * mi[:, None, :]
    steps = x.shape[1]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    if mr is None:
        m, g = v2.nn_recurrent(spec, x.shape[2], [w])
        out, _ = m(x.flip(1) if reverse else x)
        return (out.flip(1) if reverse else out), (lambda g=g: g()[0])
    cell, g = nn_cell(spec, x.shape[2], w)
    hs, cs = torch.zeros(x.shape[0], u), torch.zeros(x.shape[0], u)
    outs = [None] * steps
    for tt in order:
        if spec["type"] == "lstm":
            hs, cs = cell(x[:, tt], (hs * mr, cs))
        else:
            hs = cell(x[:, tt], hs * mr)
        outs[tt] = hs
    return torch.stack(outs, 1), g


def nn_model(model, weights, xs, y, lengths, masks, loss, init_states=None):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    layers = model["layers"]
    steps = xs[0].shape[1]
    ins = [x.detach().clone().requires_grad_(True) for x in xs]
    lens = None if lengths is None else lengths.cpu()
    outs, finals, grad_fns, hx_leaves = {}, {}, [], {}
    read = states_read(layers)

    def value(s):
        if "input" in s:
            return ins[s["input"]]
        return finals[str(s["layer"])][s["state"]] if "state" in s else outs[s["layer"]]
    for k, (spec, w) in enumerate(zip(layers, weights)):
        t = spec["type"]
        hs_in = [value(s) for s in sources(layers, k)]
        h = hs_in[0]
        mk = {n: torch.tensor(a) for n, a in masks.get(str(k), {}).items()}
        if t in MERGE_LAYERS:
            outs[k] = torch.cat(hs_in, -1) if t == "concatenate" else torch.stack(hs_in).sum(0)
            grad_fns.append(lambda: {})
            continue
        if t == "dropout":
            outs[k] = h * mk["mask"] if mk else h
            grad_fns.append(lambda: {})
            continue
        if t == "dense":
            m = torch.nn.Linear(w["kernel"].shape[0], w["kernel"].shape[1], bias=bias_on(spec))
            with torch.no_grad():
                m.weight.copy_(w["kernel"].T)
                if bias_on(spec):
                    m.bias.copy_(w["bias"])
            act = {"linear": torch.nn.Identity(), "tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU(),
                   "sigmoid": torch.nn.Sigmoid()}[spec.get("activation", "linear")]
            outs[k] = act(m(h))
            grad_fns.append(lambda m=m, b=bias_on(spec): dict(
                [("kernel", m.weight.grad.T)] + ([("bias", m.bias.grad)] if b else [])))
            continue
        bid = t == "bidirectional"
        inner = spec["layer"] if bid else spec
        u = inner["units"]
        if bid and mk:
            # each direction its own masks: two unidirectional torch paths, merged by hand
            assert lens is None and str(k) not in (init_states or {}) and k not in read
            dirs, gfs = [], []
            for d, rev in (("forward", False), ("backward", True)):
                o, gf = nn_direction(inner, w[d], h, mk.get(d + "/input"), mk.get(d + "/recurrent"), rev)
                dirs.append(o)
                gfs.append(gf)
            a, b = (dirs[0], dirs[1]) if seq(inner) else (dirs[0][:, -1], dirs[1][:, 0])
            outs[k] = merge(spec.get("merge_mode", "concat"), a, b)
            grad_fns.append(lambda gfs=gfs: {"forward": gfs[0](), "backward": gfs[1]()})
            continue
        if "input" in mk:
            h = h * mk["input"][:, None, :]   # one mask per sequence: the same at every step
        hx = None
        if "initial_state" in spec:
            st = [value(s_) for s_ in initial_sources(layers, k)]
            hx = (st[0][None], st[1][None]) if inner["type"] == "lstm" else st[0][None]
        if init_states and str(k) in init_states:
            leaves = [a.detach().clone().requires_grad_(True) for a in init_states[str(k)]]
            hx_leaves[str(k)] = leaves
            half = n_states(inner["type"])
            if bid:   # torch's h0 [2, n, U]: the forward direction's, then the backward one's
                hs0 = [torch.stack([leaves[i], leaves[half + i]]) for i in range(half)]
            else:
                hs0 = [a[None] for a in leaves]
            hx = tuple(hs0) if inner["type"] == "lstm" else hs0[0]
        if "recurrent" in mk:
            # nn.LSTM / nn.RNN cannot drop the recurrent state: step nn.LSTMCell / nn.RNNCell
            # (with lengths, a padded step keeps the states and outputs 0, as packing does)
            assert hx is None and not inner.get("go_backwards", False)
            cell, g = nn_cell(inner, h.shape[2], w)
            n = h.shape[0]
            hs = torch.zeros(n, u)
            cs = torch.zeros(n, u)
            seq_out = []
            for tt in range(steps):
                if inner["type"] == "lstm":
                    nh, nc = cell(h[:, tt], (hs * mk["recurrent"], cs))
                else:
                    nh, nc = cell(h[:, tt], hs * mk["recurrent"]), cs
                if lens is None:
                    hs, cs = nh, nc
                    seq_out.append(hs)
                    continue
                valid = (tt < lens)[:, None]
                hs, cs = torch.where(valid, nh, hs), torch.where(valid, nc, cs)
                seq_out.append(torch.where(valid, nh, torch.zeros_like(nh)))
            outs[k] = torch.stack(seq_out, 1) if seq(inner) else hs
            finals[str(k)] = (hs, cs) if inner["type"] == "lstm" else (hs,)
            grad_fns.append(g)
            continue
        m, g = v2.nn_recurrent(inner, h.shape[2], [w["forward"], w["backward"]] if bid else [w])
        grad_fns.append((lambda g=g: dict(zip(("forward", "backward"), g()))) if bid else (lambda g=g: g()[0]))
        inp = h.flip(1) if inner.get("go_backwards", False) else h
        if lens is not None:
            out, hn = m(pack_padded_sequence(inp, lens, batch_first=True, enforce_sorted=False), hx)
            out = pad_packed_sequence(out, batch_first=True, total_length=steps)[0]
        else:
            out, hn = m(inp, hx)
        hs = hn[0] if inner["type"] == "lstm" else hn
        mode = spec.get("merge_mode", "concat")
        if bid:
            outs[k] = (merge(mode, out[..., :u], out[..., u:]) if seq(inner) else merge(mode, hs[0], hs[1]))
            if str(k) in hx_leaves or k in read:
                cs = hn[1] if inner["type"] == "lstm" else None
                fwd = (hs[0], cs[0]) if cs is not None else (hs[0],)
                bwd = (hs[1], cs[1]) if cs is not None else (hs[1],)
                finals[str(k)] = fwd + bwd
        else:
            outs[k] = out if seq(inner) else hs[0]
            finals[str(k)] = (hs[0], hn[1][0]) if inner["type"] == "lstm" else (hs[0],)
    crit = {"mse": torch.nn.MSELoss(), "mae": torch.nn.L1Loss()}
    if "outputs" in model:
        hs = [outs[k] for k in model["outputs"]]
        ws = model.get("loss_weights", [1.0] * len(hs))
        lval = sum(w * crit[name](o, t) for w, name, o, t in zip(ws, output_losses(model, loss), hs, y))
        h = torch.cat([o.reshape(-1) for o in hs])
    else:
        h = outs[output_layer(model)]
        if lens is not None and h.dim() == 3:
            pd = pack_padded_sequence(h, lens, batch_first=True, enforce_sorted=False).data
            yd = pack_padded_sequence(y, lens, batch_first=True, enforce_sorted=False).data
        else:
            pd, yd = h, y
        lval = crit[loss](pd, yd)
    lval.backward()
    return {
        "output": h.detach(), "loss": float(lval),
        "finals": {k: tuple(a.detach() for a in v) for k, v in finals.items()},
        "grads": [f() for f in grad_fns],
        "input_grads": [x.grad if x.grad is not None else torch.zeros_like(x) for x in ins],
        "init_grads": {k: tuple(a.grad for a in v) for k, v in hx_leaves.items()},
    }


def compare(cc, out, lval, finals, grads, nn, input_grads=None, init_grads=None):
    cc.compare(out, lval, finals, [g for g in grads], nn, None, init_grads)
    if input_grads is not None:
        cc.diff("input_grad", input_grads, nn["input_grads"], TOL_GRAD, rel=True)


# ---------- one case ----------

def masks_for(model, weights, xs, lengths, rng):
    """A fresh draw of every dropout mask for a batch xs."""
    shapes = {}
    with torch.no_grad():
        forward(model, weights, xs, lengths, {}, shapes)
    return draw_masks(model, mask_shapes(model, shapes), rng)


def make_case(name, description, model, xs, y, loss, train, seed, lengths=None, initial_states=None, log=print):
    """initial_states: {"k": tuple of [n, U] arrays in state_names order} for recurrent or
    bidirectional layers k."""
    if "inputs" not in model:
        model = {"input_shape": list(xs[0].shape[1:]), **model}
    initial_states = initial_states or {}
    validate(model, xs, lengths, initial_states)
    init_t = {k: tuple(torch.tensor(a) for a in v) for k, v in initial_states.items()}
    graph = "inputs" in model
    rng = np.random.default_rng(seed)
    xs_t = [torch.tensor(x) for x in xs]
    y_t = [torch.tensor(a) for a in y] if "outputs" in model else torch.tensor(y)
    len_t = None if lengths is None else torch.tensor(lengths, dtype=torch.long)
    weights, feats = init_weights(model, rng)
    initial = [tree_json(w) for w in weights]
    params = params_of(weights)
    cc = v2.CrossCheck(name)
    n = xs[0].shape[0]
    mask_rng = np.random.default_rng(seed + 2000)
    check_masks = masks_for(model, weights, xs_t, len_t, mask_rng)
    dropout = bool(check_masks)

    # forward + gradients on all the data as one batch, with the check's masks
    xg = [x.clone().requires_grad_(True) for x in xs_t]
    init_g = {k: tuple(a.clone().requires_grad_(True) for a in v) for k, v in init_t.items()}
    out, finals = forward(model, weights, xg, len_t, check_masks, init_states=init_g)
    lval, parts = total_loss(model, loss, out, y_t, len_t)
    lval.backward()
    grads = [tree_grads(w) for w in weights]
    nn = nn_model(model, weights, xs_t, y_t, len_t, check_masks, loss, init_t)
    compare(cc, flat_out(out), float(lval), finals, grads, nn, [x.grad for x in xg],
            {k: tuple(a.grad for a in v) for k, v in init_g.items()})
    if "outputs" in model:
        check = {"outputs": [tensor_json(o) for o in out], "loss": float(lval), "losses": [float(p) for p in parts]}
    else:
        check = {"output": tensor_json(out), "loss": float(lval)}
    check["grads"] = [tree_json(g) for g in grads]
    if graph:
        check["input_grads"] = [tensor_json(x.grad) for x in xg]
    else:
        check["input_grad"] = tensor_json(xg[0].grad)
    if finals:
        check["final_states"] = {k: tree_json(states_tree(model["layers"][int(k)], v)) for k, v in finals.items()}
    if init_g:
        check["initial_state_grads"] = {k: tree_json(states_tree(model["layers"][int(k)], tuple(a.grad for a in v)))
                                        for k, v in init_g.items()}
    if dropout:
        with torch.no_grad():
            inf, _ = forward(model, weights, xs_t, len_t, {})
        check["inference_output"] = tensor_json(inf)
    for p in params:
        p.grad = None

    mdesc = model
    case = {
        "format": FORMAT,
        "name": name,
        "description": description,
        "generator": f"PyTorch {torch.__version__} autograd, float64",
        "dtype": "float64",
        "model": mdesc,
        "loss": loss,
        "weights": initial,
    }
    if graph:
        case["xs"] = [tensor_json(x) for x in xs]
    else:
        case["x"] = tensor_json(xs[0])
    if "outputs" in model:
        case["ys"] = [tensor_json(a) for a in y]
    else:
        case["y"] = tensor_json(y)
    if lengths is not None:
        case["lengths"] = [int(v) for v in lengths]
    if initial_states:
        case["initial_states"] = {k: tree_json(states_tree(model["layers"][int(k)], v)) for k, v in init_t.items()}
    if dropout:
        case["dropout_masks"] = masks_json(check_masks)
    case["check"] = check

    bs = train["batch_size"]
    assert n % bs != 0, "each training run has a partial last batch"
    opt = v2.KerasOptimizer(train["optimizer"])
    order_rng = np.random.default_rng(seed + 1000)
    epochs_batches, epoch_loss, epoch_masks, epoch_parts = [], [], [], []
    for _ in range(train["epochs"]):
        perm = order_rng.permutation(n)
        batches = [perm[s:s + bs].tolist() for s in range(0, n, bs)]
        total, step_masks, part_sums = 0.0, [], [0.0] * len(model_outputs(model))
        for b in batches:
            xb = [x[b] for x in xs_t]
            mb = masks_for(model, weights, xb, None if len_t is None else len_t[b], mask_rng)
            step_masks.append(masks_json(mb))
            lb_t = None if len_t is None else len_t[b]
            ib = {k: tuple(a[b] for a in v) for k, v in init_t.items()}
            ob, fb = forward(model, weights, xb, lb_t, mb, init_states=ib)
            yb = [a[b] for a in y_t] if "outputs" in model else y_t[b]
            lb, pb = total_loss(model, loss, ob, yb, lb_t)
            for p in params:
                p.grad = None
            lb.backward()
            gb = [tree_grads(w) for w in weights]
            compare(cc, flat_out(ob), float(lb), fb, gb, nn_model(model, weights, xb, yb, lb_t, mb, loss, ib))
            opt.step(params, [g for w in gb for _, g in flat_items(w)])
            total += float(lb) * len(b)
            part_sums = [s_ + float(p) * len(b) for s_, p in zip(part_sums, pb)]
        epochs_batches.append(batches)
        epoch_loss.append(total / n)
        epoch_masks.append(step_masks)
        epoch_parts.append([p / n for p in part_sums])
    case["train"] = {
        "optimizer": train["optimizer"],
        "batch_size": bs,
        "epochs": train["epochs"],
        "batches": epochs_batches,
        "epoch_loss": epoch_loss,
        "final_weights": [tree_json(w) for w in weights],
    }
    if "outputs" in model:
        case["train"]["epoch_output_losses"] = epoch_parts
    if dropout:
        case["train"]["dropout_masks"] = epoch_masks
    log(cc.line())
    return case


# ---------- the cases ----------

def own_cases(log=print):
    # (a) Dropout layer between stacked LSTMs, input dropout and recurrent dropout; Adam
    rng = np.random.default_rng(301)
    n, steps, f = 11, 6, 3
    x, y = sine_batch(rng, n, steps, f)
    yield make_case(
        "lstm_dropout_recurrent_dropout_adam",
        "LSTM(5, return_sequences, dropout 0.25, recurrent_dropout 0.3) -> Dropout(0.2) -> "
        "SimpleRNN(4, return_sequences, recurrent_dropout 0.4) -> Dense(1); given masks (Keras' inverted "
        "dropout, one input and one recurrent mask per sequence); Adam(0.01), 11 samples, batch 4.",
        {"layers": [{"type": "lstm", "units": 5, "return_sequences": True, "dropout": 0.25, "recurrent_dropout": 0.3},
                    {"type": "dropout", "rate": 0.2},
                    {"type": "simple_rnn", "units": 4, "return_sequences": True, "recurrent_dropout": 0.4},
                    {"type": "dense", "units": 1}]},
        [x], y[:, :, :1], "mse",
        {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 4, "epochs": 4},
        seed=31, log=log)

    # (b) GRU with input dropout, last state, Dropout on the last state; SGD momentum
    rng = np.random.default_rng(302)
    n, steps, f = 10, 5, 4
    x = rng.normal(0, 1, (n, steps, f))
    y = np.tanh(x.sum(1)[:, :2] / 3)
    yield make_case(
        "gru_dropout_last_momentum",
        "GRU(6, dropout 0.3) last state -> Dropout(0.5) -> Dense(2); given masks; "
        "SGD(0.05, momentum 0.9), 10 samples, batch 3.",
        {"layers": [{"type": "gru", "units": 6, "dropout": 0.3},
                    {"type": "dropout", "rate": 0.5},
                    {"type": "dense", "units": 2}]},
        [x], y, "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9}, "batch_size": 3, "epochs": 4},
        seed=32, log=log)

    # (c) Bidirectional LSTM merge mul, sequences, with lengths; RMSprop
    rng = np.random.default_rng(303)
    n, steps, f = 13, 7, 2
    L = v2.make_lengths(rng, n, steps, 2)
    x, y = sine_batch(rng, n, steps, f)
    yield make_case(
        "bilstm_mul_seq_lengths_rmsprop",
        "Bidirectional(LSTM(4, return_sequences), merge mul) + Dense(1) with lengths 2..7 (masked MSE); "
        "RMSprop(0.005), 13 samples, batch 4.",
        {"layers": [{"type": "bidirectional", "merge_mode": "mul",
                     "layer": {"type": "lstm", "units": 4, "return_sequences": True}},
                    {"type": "dense", "units": 1}]},
        [v2.zero_pad(x, L)], v2.zero_pad(y[:, :, :1], L), "mse",
        {"optimizer": {"type": "rmsprop", "learning_rate": 0.005}, "batch_size": 4, "epochs": 5},
        seed=33, lengths=L, log=log)

    # (d) Bidirectional GRU merge ave, last states; SimpleRNN relu merge ave sequences; Adam
    rng = np.random.default_rng(304)
    n, steps, f = 12, 6, 3
    x = rng.normal(0, 1, (n, steps, f))
    y = np.tanh(x[:, :, 0].mean(1, keepdims=True) * 2 - x[:, 0, 1:2])
    yield make_case(
        "birnn_ave_seq_bigru_ave_last_adam",
        "Bidirectional(SimpleRNN(5, relu, return_sequences), merge ave) -> Bidirectional(GRU(3), merge ave) "
        "last states -> Dense(1, tanh); Adam(0.01), 12 samples, batch 5.",
        {"layers": [{"type": "bidirectional", "merge_mode": "ave",
                     "layer": {"type": "simple_rnn", "units": 5, "activation": "relu", "return_sequences": True}},
                    {"type": "bidirectional", "merge_mode": "ave", "layer": {"type": "gru", "units": 3}},
                    {"type": "dense", "units": 1, "activation": "tanh"}]},
        [x], y, "mse",
        {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 5, "epochs": 5},
        seed=34, log=log)

    # (e) Encoder-decoder: the encoder's final (h, c) start the decoder; two inputs
    rng = np.random.default_rng(305)
    n, te, td, f = 14, 6, 4, 2
    enc = rng.normal(0, 1, (n, te, f))
    dec = np.concatenate([np.zeros((n, 1, 1)), enc[:, ::-1, :1][:, :td - 1]], 1)   # teacher forcing: shifted target
    y = enc[:, ::-1, :1][:, :td].copy()                                            # the first feature reversed
    yield make_case(
        "encoder_decoder_lstm_sgd",
        "Encoder-decoder (Keras functional, two inputs): LSTM(5) over the encoder input [6, 2] gives its final "
        "states h, c (return_state); LSTM(5, return_sequences) over the decoder input [4, 1] starts from them "
        "(initial_state) -> Dense(1); the target is the encoder's first feature reversed; SGD(0.1), 14 samples, "
        "batch 4.",
        {"inputs": [[te, f], [td, 1]],
         "layers": [{"type": "lstm", "units": 5, "inputs": [{"input": 0}]},
                    {"type": "lstm", "units": 5, "return_sequences": True, "inputs": [{"input": 1}],
                     "initial_state": {"layer": 0}},
                    {"type": "dense", "units": 1, "inputs": [{"layer": 1}]}],
         "output": 2},
        [enc, dec], y, "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.1}, "batch_size": 4, "epochs": 5},
        seed=35, log=log)

    # (f) Encoder-decoder with GRUs, the decoder with input dropout; Adam
    rng = np.random.default_rng(306)
    n, te, td, f = 11, 5, 3, 3
    enc = rng.normal(0, 1, (n, te, f))
    dec = rng.normal(0, 1, (n, td, 2))
    y = np.tanh(enc.mean(1)[:, None, :1] + dec[:, :, :1])
    yield make_case(
        "encoder_decoder_gru_dropout_adam",
        "Encoder-decoder: GRU(4) over [5, 3] -> its final state starts GRU(4, return_sequences, dropout 0.2) over "
        "[3, 2] -> Dense(1); given dropout masks; Adam(0.02), 11 samples, batch 4.",
        {"inputs": [[te, f], [td, 2]],
         "layers": [{"type": "gru", "units": 4, "inputs": [{"input": 0}]},
                    {"type": "gru", "units": 4, "return_sequences": True, "dropout": 0.2, "inputs": [{"input": 1}],
                     "initial_state": {"layer": 0}},
                    {"type": "dense", "units": 1, "inputs": [{"layer": 1}]}],
         "output": 2},
        [enc, dec], y, "mse",
        {"optimizer": {"type": "adam", "learning_rate": 0.02}, "batch_size": 4, "epochs": 4},
        seed=36, log=log)


    # (g) Bidirectional LSTM from given initial states (forward h, c, backward h, c), last states
    rng = np.random.default_rng(307)
    n, steps, f, u = 10, 5, 3, 4
    x = rng.normal(0, 1, (n, steps, f))
    y = np.tanh(np.stack([x[:, :, 0].sum(1), x[:, :, 1].sum(1) - x[:, :, 2].sum(1)], 1) / 3)
    init = tuple(rng.normal(0, 0.5, (n, u)) for _ in range(4))
    yield make_case(
        "bilstm_initial_states_last_sgd",
        "Bidirectional(LSTM(4), concat) last states from given initial states (Keras' order: forward h, c, "
        "then backward h, c; torch h0 = stack([forward, backward])), final states and d loss / d initial state "
        "-> Dense(2); SGD(0.1), 10 samples, batch 4.",
        {"layers": [{"type": "bidirectional", "merge_mode": "concat", "layer": {"type": "lstm", "units": u}},
                    {"type": "dense", "units": 2}]},
        [x], y, "mse", {"optimizer": {"type": "sgd", "learning_rate": 0.1}, "batch_size": 4, "epochs": 4},
        seed=37, initial_states={"0": init}, log=log)

    # (h) Bidirectional GRU (sum, sequences) from given initial states, with lengths
    rng = np.random.default_rng(308)
    n, steps, f, u = 11, 6, 2, 3
    L = v2.make_lengths(rng, n, steps, 2)
    x, y = sine_batch(rng, n, steps, f)
    init = tuple(rng.normal(0, 0.5, (n, u)) for _ in range(2))
    yield make_case(
        "bigru_initial_states_lengths_adam",
        "Bidirectional(GRU(3, return_sequences), merge sum) from given initial states (forward h, backward h; "
        "the backward direction starts from its state at each sample's last valid step) with lengths 2..6 -> "
        "Dense(1); masked MSE; Adam(0.01), 11 samples, batch 4.",
        {"layers": [{"type": "bidirectional", "merge_mode": "sum",
                     "layer": {"type": "gru", "units": u, "return_sequences": True}},
                    {"type": "dense", "units": 1}]},
        [v2.zero_pad(x, L)], v2.zero_pad(y[:, :, :1], L), "mse",
        {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 4, "epochs": 5},
        seed=38, lengths=L, initial_states={"0": init}, log=log)

    # (i) Two outputs: one LSTM, two heads, a loss per output, weighted (Keras loss_weights)
    rng = np.random.default_rng(309)
    n, steps, f = 13, 6, 2
    x = rng.normal(0, 1, (n, steps, f))
    y_next = np.tanh(x[:, :, :1].sum(1) / 2)
    y_mix = np.tanh(np.stack([x[:, -1, 0] - x[:, 0, 1], x[:, :, 1].mean(1)], 1))
    yield make_case(
        "two_outputs_mse_mae_weighted_adam",
        "Model of two outputs (Keras Model(x, [a, b])): LSTM(5) last state read by Dense(1) (MSE) and by "
        "Dense(2, tanh) (MAE); loss = 1.0 MSE + 0.3 MAE (loss_weights); Adam(0.01), 13 samples, batch 5.",
        {"inputs": [[steps, f]],
         "layers": [{"type": "lstm", "units": 5, "inputs": [{"input": 0}]},
                    {"type": "dense", "units": 1, "inputs": [{"layer": 0}]},
                    {"type": "dense", "units": 2, "activation": "tanh", "inputs": [{"layer": 0}]}],
         "outputs": [1, 2], "loss_weights": [1.0, 0.3]},
        [x], [y_next, y_mix], ["mse", "mae"],
        {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 5, "epochs": 5},
        seed=39, log=log)

    # (j) Bidirectional LSTM encoder whose states, joined per kind, start an LSTM decoder (Keras'
    # bidirectional seq2seq: state_h = Concatenate()([fh, bh]), state_c = Concatenate()([fc, bc]))
    rng = np.random.default_rng(310)
    n, te, td, f, u = 12, 5, 4, 2, 3
    enc = rng.normal(0, 1, (n, te, f))
    dec = np.concatenate([np.zeros((n, 1, 1)), enc[:, :td - 1, :1]], 1)
    y = np.tanh(enc[:, :td, :1] + enc[:, ::-1, 1:][:, :td])
    yield make_case(
        "bilstm_encoder_concat_states_decoder_rmsprop",
        "Encoder-decoder of two inputs with merge layers: Bidirectional(LSTM(3)) over [5, 2] returns its states "
        "fh, fc, bh, bc; Concatenate()([fh, bh]) and Concatenate()([fc, bc]) start LSTM(6, return_sequences) over "
        "[4, 1] -> Dense(1); RMSprop(0.01), 12 samples, batch 5.",
        {"inputs": [[te, f], [td, 1]],
         "layers": [{"type": "bidirectional", "layer": {"type": "lstm", "units": u}, "inputs": [{"input": 0}]},
                    {"type": "concatenate", "inputs": [{"layer": 0, "state": 0}, {"layer": 0, "state": 2}]},
                    {"type": "concatenate", "inputs": [{"layer": 0, "state": 1}, {"layer": 0, "state": 3}]},
                    {"type": "lstm", "units": 2 * u, "return_sequences": True, "inputs": [{"input": 1}],
                     "initial_state": [{"layer": 1}, {"layer": 2}]},
                    {"type": "dense", "units": 1, "inputs": [{"layer": 3}]}],
         "output": 4},
        [enc, dec], y, "mse",
        {"optimizer": {"type": "rmsprop", "learning_rate": 0.01}, "batch_size": 5, "epochs": 4},
        seed=40, log=log)

    # (k) Two branches joined by Add and Concatenate: a GRU and a SimpleRNN over two inputs
    rng = np.random.default_rng(311)
    n, steps, f = 11, 5, 2
    a, b = rng.normal(0, 1, (n, steps, f)), rng.normal(0, 1, (n, steps, f))
    y = np.tanh(a[:, :, :1].sum(1) - b[:, -1, 1:])
    yield make_case(
        "two_branches_add_concatenate_sgd",
        "Two inputs [5, 2]: GRU(4) over each and Add()([ga, gb]), Concatenate()([add, SimpleRNN(3) over input 1]) "
        "-> Dense(1); SGD(0.05, momentum 0.9), 11 samples, batch 4.",
        {"inputs": [[steps, f], [steps, f]],
         "layers": [{"type": "gru", "units": 4, "inputs": [{"input": 0}]},
                    {"type": "gru", "units": 4, "inputs": [{"input": 1}]},
                    {"type": "add", "inputs": [{"layer": 0}, {"layer": 1}]},
                    {"type": "simple_rnn", "units": 3, "inputs": [{"input": 1}]},
                    {"type": "concatenate", "inputs": [{"layer": 2}, {"layer": 3}]},
                    {"type": "dense", "units": 1, "inputs": [{"layer": 4}]}],
         "output": 5},
        [a, b], y, "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9}, "batch_size": 4, "epochs": 4},
        seed=41, log=log)

    # (l) Lengths and dropout together: masked steps keep the states, the masks are per sequence
    rng = np.random.default_rng(312)
    n, steps, f = 12, 7, 2
    L = v2.make_lengths(rng, n, steps, 2)
    x, y = sine_batch(rng, n, steps, f)
    yield make_case(
        "lstm_lengths_dropout_recurrent_dropout_sgd",
        "LSTM(4, return_sequences, dropout 0.2, recurrent_dropout 0.25) with lengths 2..7 (masked steps carry the "
        "states and output 0; the masks are drawn per sequence all the same) -> Dense(1); masked MSE; given masks; "
        "SGD(0.1), 12 samples, batch 5.",
        {"layers": [{"type": "lstm", "units": 4, "return_sequences": True, "dropout": 0.2, "recurrent_dropout": 0.25},
                    {"type": "dense", "units": 1}]},
        [v2.zero_pad(x, L)], v2.zero_pad(y[:, :, :1], L), "mse",
        {"optimizer": {"type": "sgd", "learning_rate": 0.1}, "batch_size": 5, "epochs": 4},
        seed=42, lengths=L, log=log)

    # (m) Dropout inside Bidirectional: each direction draws its own input and recurrent masks
    rng = np.random.default_rng(313)
    n, steps, f = 11, 6, 3
    x, y = sine_batch(rng, n, steps, f)
    yield make_case(
        "bilstm_dropout_recurrent_dropout_seq_adam",
        "Bidirectional(LSTM(3, return_sequences, dropout 0.2, recurrent_dropout 0.3), concat) -> Dense(1); each "
        "direction its own masks (forward input, forward recurrent, backward input, backward recurrent; Keras "
        "copies the layer); given masks; Adam(0.01), 11 samples, batch 4.",
        {"layers": [{"type": "bidirectional", "merge_mode": "concat",
                     "layer": {"type": "lstm", "units": 3, "return_sequences": True, "dropout": 0.2,
                               "recurrent_dropout": 0.3}},
                    {"type": "dense", "units": 1}]},
        [x], y[:, :, :1], "mse",
        {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 4, "epochs": 4},
        seed=43, log=log)


CASE_SETS = {"own": own_cases}


def write_cases(out, which, log=print):
    os.makedirs(out, exist_ok=True)
    written = []
    for case in CASE_SETS[which](log=log):
        path = os.path.join(out, case["name"] + ".json")
        with open(path, "w") as f:
            json.dump(case, f, separators=(",", ":"))
        size = os.path.getsize(path)
        assert size < 300_000, f"{path}: {size} bytes"
        log(f"  {path} {size} bytes")
        written.append(case["name"] + ".json")
    return written


def verify(out, which):
    tmp = tempfile.mkdtemp(prefix="rnnref-gornn-")
    try:
        fresh = write_cases(tmp, which, log=lambda s: None)
        have = sorted(f for f in os.listdir(out) if f.endswith(".json")) if os.path.isdir(out) else []
        ok = True
        for name in sorted(set(fresh) | set(have)):
            if name not in have:
                print(f"MISSING {os.path.join(out, name)}")
                ok = False
            elif name not in fresh:
                print(f"EXTRA   {os.path.join(out, name)} (not produced by this generator)")
                ok = False
            elif filecmp.cmp(os.path.join(tmp, name), os.path.join(out, name), shallow=False):
                print(f"same    {name}")
            else:
                with open(os.path.join(tmp, name)) as f1, open(os.path.join(out, name)) as f2:
                    d = v2.max_numeric_diff(json.load(f1), json.load(f2))
                print(f"DIFFERS {name} (largest numeric difference {d:.3g})")
                ok = False
        print("verify:", "all files identical" if ok else "MISMATCH")
        return ok
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description="Generate rnn-reference/2+gornn cases with PyTorch autograd (float64).")
    ap.add_argument("--out", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference-gornn")),
                    help="directory of the case files (default: ../reference-gornn)")
    ap.add_argument("--verify", action="store_true", help="regenerate into a temporary directory and compare with --out")
    ap.add_argument("--set", default="own", choices=sorted(CASE_SETS))
    a = ap.parse_args()
    if a.verify:
        sys.exit(0 if verify(a.out, a.set) else 1)
    write_cases(a.out, a.set)


if __name__ == "__main__":
    main()
