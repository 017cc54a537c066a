#!/usr/bin/python3
"""Cross-check gornn's PyTorch exchange format against PyTorch, both ways.

Needs Debian's python3-torch and python3-numpy only (no safetensors
package: the format is read and written here by hand). Run it from the
repository root after the Go side has written its fixtures:

    GORNN_UPDATE_TESTDATA=1 go test ./models -run TestWriteTorchFixtures
    /usr/bin/python3 models/testdata/torch/check_export.py
    go test ./models

Go -> PyTorch: for every case of go_predictions.json it loads
to_torch_<case>.safetensors (written by models.ExportTorch) into
torch.nn.RNN/LSTM/GRU(batch_first=True) and torch.nn.Linear modules with
load_state_dict(strict=True), runs the case's input and compares with the
Go predictions (1e-5 for float32, 1e-12 for float64). It writes torch's own
predictions to to_torch_check.json, which the Go tests compare against.

PyTorch -> Go: for the same architectures it makes fresh modules from a
fixed torch seed, writes their state_dict to from_torch_<case>.safetensors
(metadata {"format": "pt"} only, as a plain PyTorch file) and their
predictions on the same input to from_torch_predictions.json; the Go tests
import the files with models.ImportTorch and compare.

A case's "torch_stacks" (go_predictions.json) lists the layers that
models.TorchStacked exchanges as one module: the script builds them as
one nn.LSTM/GRU/RNN of num_layers > 1 (bidirectional=True for a
Bidirectional layer), so the _l1 and _reverse keys are checked by
load_state_dict too.

Entries of cases already in to_torch_check.json and
from_torch_predictions.json are kept as they are (a rerun elsewhere may
move float32 results by an ulp; the comparisons above still run on fresh
results); --rewrite replaces them all.

The script exits with status 1 if PyTorch and Go disagree.
"""

import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

NP_DTYPES = {"F32": "<f4", "F64": "<f8"}
ST_DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64"}
ACTIVATIONS = {
    "linear": lambda x: x,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}


def read_safetensors(path):
    """Return ({name: tensor}, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    body = raw[8 + n :]
    sums = json.loads(meta.get("checksums", "{}"))
    tensors = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        data = body[lo:hi]
        if name in sums and "%08x" % zlib.crc32(data) != sums[name]:
            raise ValueError("%s: checksum mismatch for %s" % (path, name))
        arr = np.frombuffer(data, dtype=NP_DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("=")))
    return tensors, meta


def write_safetensors(path, tensors, meta):
    """Write {name: tensor} and string metadata as a safetensors file."""
    header = {"__metadata__": meta}
    chunks, offset = [], 0
    for name in sorted(tensors):
        arr = tensors[name].detach().contiguous().numpy()
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": ST_DTYPES[arr.dtype],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)


RECURRENT = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


class Net(torch.nn.Module):
    """The torch twin of a gornn architecture (the "model" metadata).

    stacks lists runs of consecutive recurrent layers, by name, that are one
    torch module of num_layers = len(run), named after the first (gornn's
    models.TorchStacked); a Bidirectional (concat) layer is its inner
    module with bidirectional=True. A recurrent layer without
    return_sequences gives h_n of its last layer (both directions joined).
    """

    def __init__(self, arch, stacks=()):
        super().__init__()
        first = {run[0]: len(run) for run in stacks}
        inside = {name for run in stacks for name in run[1:]}
        self.steps = []  # (module name, config of the run's last layer, num_layers)
        features = arch["input_shape"][-1]
        cfgs = {cfg["name"]: cfg for cfg in arch["layers"]}
        order = [cfg["name"] for cfg in arch["layers"]]
        for name in order:
            if name in inside:
                continue
            cfg = cfgs[name]
            kind = cfg["type"]
            if kind == "dense":
                mod, units = torch.nn.Linear(features, cfg["units"]), cfg["units"]
                self.steps.append((name, cfg, 1))
            else:
                bi = kind == "bidirectional"
                if bi and cfg.get("merge_mode", "concat") != "concat":
                    raise ValueError("%s: torch's bidirectional modules concatenate" % name)
                inner = cfg["layer"] if bi else cfg
                n = first.get(name, 1)
                last = cfgs[order[order.index(name) + n - 1]]
                kw = dict(num_layers=n, bidirectional=bi, batch_first=True, bias=inner.get("use_bias", True))
                if inner["type"] == "simple_rnn":
                    kw["nonlinearity"] = inner.get("activation", "tanh")
                mod = RECURRENT[inner["type"]](features, inner["units"], **kw)
                units = inner["units"] * (2 if bi else 1)
                self.steps.append((name, last, n))
            self.add_module(name, mod)
            features = units

    def forward(self, x):
        for name, cfg, _ in self.steps:
            mod = getattr(self, name)
            if cfg["type"] == "dense":
                x = ACTIVATIONS[cfg.get("activation", "linear")](mod(x))
                continue
            inner = cfg["layer"] if cfg["type"] == "bidirectional" else cfg
            out, hn = mod(x)
            if inner.get("return_sequences", False):
                x = out
                continue
            h = hn[0] if isinstance(hn, tuple) else hn
            x = torch.cat([h[-2], h[-1]], -1) if mod.bidirectional else h[-1]
        return x


def flat(t):
    return [float(v) for v in t.detach().numpy().ravel()]


def main():
    torch.set_num_threads(1)
    with open(os.path.join(HERE, "go_predictions.json")) as f:
        cases = json.load(f)["cases"]
    check = {"torch_version": torch.__version__, "cases": []}
    made = {"torch_version": torch.__version__, "cases": []}
    ok = True
    for i, case in enumerate(cases):
        name = case["name"]
        tensors, meta = read_safetensors(os.path.join(HERE, "to_torch_%s.safetensors" % name))
        if meta.get("format") != "pt":
            raise ValueError("%s: format %r, want 'pt'" % (name, meta.get("format")))
        arch = json.loads(meta["model"])
        dtype = torch.float64 if arch["dtype"] == "float64" else torch.float32
        tol = 1e-12 if dtype == torch.float64 else 1e-5
        x = torch.tensor(case["input"], dtype=dtype).reshape(case["input_shape"])

        # Go -> PyTorch.
        stacks = case.get("torch_stacks", [])
        net = Net(arch, stacks).to(dtype)
        net.load_state_dict(tensors, strict=True)
        with torch.no_grad():
            y = net(x)
        want = np.array(case["predictions"]).reshape(case["output_shape"])
        diff = float(np.max(np.abs(y.double().numpy() - want)))
        status = "ok" if diff <= tol else "MISMATCH"
        print("%-12s go->torch max |diff| %.3g (tolerance %g) %s" % (name, diff, tol, status))
        ok = ok and diff <= tol
        check["cases"].append(
            {"name": name, "max_abs_diff": diff, "output_shape": list(y.shape), "predictions": flat(y)}
        )

        # PyTorch -> Go.
        torch.manual_seed(1000 + i)
        twin = Net(arch, stacks).to(dtype)
        with torch.no_grad():
            y = twin(x)
        write_safetensors(
            os.path.join(HERE, "from_torch_%s.safetensors" % name), twin.state_dict(), {"format": "pt"}
        )
        made["cases"].append({"name": name, "output_shape": list(y.shape), "predictions": flat(y)})

    for fname, obj in (("to_torch_check.json", check), ("from_torch_predictions.json", made)):
        path = os.path.join(HERE, fname)
        if "--rewrite" not in sys.argv[1:] and os.path.exists(path):
            # keep the committed entries of the cases they have (a rerun
            # elsewhere may move float32 results by an ulp)
            with open(path) as f:
                kept = {c["name"]: c for c in json.load(f)["cases"]}
            obj["cases"] = [kept.get(c["name"], c) for c in obj["cases"]]
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
