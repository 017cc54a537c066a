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


class Net(torch.nn.Module):
    """The torch twin of a gornn architecture (the "model" metadata)."""

    def __init__(self, arch):
        super().__init__()
        self.configs = arch["layers"]
        features = arch["input_shape"][-1]
        for cfg in self.configs:
            kind, units = cfg["type"], cfg["units"]
            if kind == "dense":
                mod = torch.nn.Linear(features, units)
            elif kind == "simple_rnn":
                mod = torch.nn.RNN(features, units, nonlinearity="tanh", batch_first=True)
            elif kind == "lstm":
                mod = torch.nn.LSTM(features, units, batch_first=True)
            elif kind == "gru":
                mod = torch.nn.GRU(features, units, batch_first=True)
            else:
                raise ValueError("unknown layer type %r" % kind)
            self.add_module(cfg["name"], mod)
            features = units

    def forward(self, x):
        for cfg in self.configs:
            mod = getattr(self, cfg["name"])
            if cfg["type"] == "dense":
                x = ACTIVATIONS[cfg.get("activation", "linear")](mod(x))
            else:
                out, _ = mod(x)
                x = out if cfg.get("return_sequences", False) else out[:, -1, :]
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
        net = Net(arch).to(dtype)
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
        twin = Net(arch).to(dtype)
        with torch.no_grad():
            y = twin(x)
        write_safetensors(
            os.path.join(HERE, "from_torch_%s.safetensors" % name), twin.state_dict(), {"format": "pt"}
        )
        made["cases"].append({"name": name, "output_shape": list(y.shape), "predictions": flat(y)})

    for fname, obj in (("to_torch_check.json", check), ("from_torch_predictions.json", made)):
        with open(os.path.join(HERE, fname), "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
