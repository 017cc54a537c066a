#!/usr/bin/env python3
"""PyTorch mirrors of gornn's benchmark workloads (W1..W6).

Each workload is the Keras-style model gornn runs, written with torch.nn:
a recurrent layer (batch_first) and a Linear(1) applied per time step when the
layer returns sequences, or to the last state otherwise. float32, one thread
(--threads N for N: the BLAS's pools on N threads, torch's own intra-op
pool on one, the fastest way to give PyTorch N cores we found: with both
pools at 2 on the 2-core VM, W4 took 7.2 s, against 1.5 s with the intra-op
pool at 2 and the BLAS at 1, and 1.23-1.34 s with the BLAS at 2 and the
intra-op pool at 1; docs/benchmarks.md),
SGD(lr 0.01), MSE.

    /usr/bin/python3 benchmarks/pytorch/workloads.py --workload W1 [--repeat N] [--threads N]
    /usr/bin/python3 benchmarks/pytorch/workloads.py --list
    /usr/bin/python3 benchmarks/pytorch/workloads.py --blas
    /usr/bin/python3 benchmarks/pytorch/workloads.py --step-sizes 20,64,128,256 [--step-batch 8 --step-time 10]

prints one JSON line:
    {"workload": "W1", "seconds": ..., "final_loss": ... or null,
     "peak_rss_mb": ..., "torch": "...", "threads": 1,
     "blas": "OpenBLAS 0.3.21 (/usr/lib/...)", "blas_kind": "openblas",
     "blas_core": "SkylakeX"}

`blas_kind` names the BLAS torch's products run on, read from the libraries
mapped into this process (/proc/self/maps) and torch.__config__.show():
openblas, mkl, blis, atlas, reference (netlib's unoptimized libblas) or
unknown. Debian's python3-torch calls whatever libblas.so.3 the alternatives
system points to; with only libblas3 installed that is the reference BLAS,
about 8x slower on W4, and ratios against it mean nothing. Install
libopenblas0-pthread (see benchmarks/pytorch/README.md). `blas_core` is
the kernels an OpenBLAS chose for the processor (openblas_get_corename):
an OpenBLAS older than the processor falls back to Prescott's SSE3 ones,
several times slower; OPENBLAS_CORETYPE chooses them (compare sets it).

`seconds` is the wall time of the timed region only (training, or prediction),
not model building, data generation or untimed pre-training. With --repeat N
the workload is built and run N times from scratch; `seconds` is then the
median and `runs` lists every run.
"""
import os
import sys


def _threads_arg(argv):
    """The value of --threads N (or --threads=N) in argv, 1 without it.

    Read before torch is imported: the BLAS and OpenMP pools size
    themselves from the environment when they start.
    """
    for i, a in enumerate(argv):
        v = None
        if a == "--threads" and i + 1 < len(argv):
            v = argv[i + 1]
        elif a.startswith("--threads="):
            v = a.split("=", 1)[1]
        if v is not None:
            try:
                return max(1, int(v))
            except ValueError:
                return 1
    return 1


THREADS = _threads_arg(sys.argv[1:])

# the thread count (one by default) goes to the BLAS's pools, set before
# torch starts them; torch's own OpenMP intra-op pool stays at one thread
# (two pools of N threads each oversubscribe N cores: see the docstring)
for _v in ("MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = str(THREADS)
os.environ["OMP_NUM_THREADS"] = "1"

import argparse
import json
import math
import re
import resource
import statistics
import time

import numpy as np
import torch

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # only allowed before any inter-op work has started
    pass

LR = 0.01
SEED = 1234


def _sgemm_provider():
    """The file that provides the sgemm_ libtorch calls, or None.

    dlsym on libtorch's own handle searches it and its dependencies in the
    order the dynamic linker resolved its calls; dladdr names the file.
    """
    import ctypes

    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                    ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]

    try:
        with open("/proc/self/maps") as f:
            paths = [ln.split()[5] for ln in f if len(ln.split()) >= 6 and "libtorch_cpu" in ln.split()[5]]
        if not paths:
            return None
        fn = ctypes.CDLL(paths[0]).sgemm_
        info = DlInfo()
        if not ctypes.CDLL(None).dladdr(ctypes.cast(fn, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
            return None
        return os.path.realpath(info.dli_fname.decode())
    except (OSError, AttributeError, IndexError):
        return None


def _openblas_core(path):
    """The kernels OpenBLAS chose for this processor (openblas_get_corename:
    Haswell, SkylakeX, Zen, ... or Prescott, its generic fallback), or None.

    A DYNAMIC_ARCH OpenBLAS picks its kernels from the processor's model
    number; one older than the processor falls back to Prescott's SSE3
    kernels (0.3.21 on Emerald Rapids does), several times slower than the
    processor's own. OPENBLAS_CORETYPE overrides the choice.
    """
    import ctypes

    try:
        fn = ctypes.CDLL(path).openblas_get_corename
        fn.restype = ctypes.c_char_p
        name = fn()
        return name.decode().strip() if name else None
    except (OSError, AttributeError):
        return None


def blas_info():
    """Which BLAS torch's matrix products call: {"blas": description, "blas_kind": kind}.

    kind is openblas, mkl, blis, atlas, reference (netlib's unoptimized
    libblas) or unknown. Found from the library that provides the sgemm_
    libtorch calls (Debian's python3-torch calls libblas.so.3, whichever the
    alternatives system or LD_LIBRARY_PATH gives it), then from the
    libraries mapped into this process (/proc/self/maps), and, for a BLAS
    linked statically into libtorch (pip wheels link MKL so), from
    torch.__config__.show().
    """
    torch.mm(torch.ones(4, 4), torch.ones(4, 4))  # any lazily loaded library is in now
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[5].startswith("/"):
                    path = parts[5]
                    if re.search(r"blas|mkl|blis|atlas", os.path.basename(path).lower()) and path not in libs:
                        libs.append(path)
    except OSError:
        pass
    try:
        config = torch.__config__.show()
    except Exception:  # noqa: BLE001 - an old or odd build: go by the libraries alone
        config = ""
    m = re.search(r"BLAS_INFO=(\w+)", config)
    blas_config = m.group(1) if m else "?"

    def kind_of(path):
        low = path.lower()
        for k in ("openblas", "mkl", "blis", "atlas"):
            if k in low:
                return k
        if re.match(r"libblas\.so", os.path.basename(low)) and os.path.basename(os.path.dirname(low)) == "blas":
            return "reference"  # Debian/Ubuntu install netlib's BLAS as .../blas/libblas.so.3.*
        return "unknown"

    def describe(kind, path):
        if kind == "openblas":
            names = [p for p in libs + [path] if "openblas" in os.path.basename(p).lower()]
            v = re.search(r"-r(\d+(?:\.\d+)*)", os.path.basename(names[-1])) if names else None
            return f"OpenBLAS {v.group(1) if v else '?'} ({path})"
        return {"mkl": "MKL", "blis": "BLIS", "atlas": "ATLAS", "reference": "reference BLAS (netlib)",
                "unknown": "unidentified BLAS"}[kind] + f" ({path})"

    provider = _sgemm_provider()
    if provider:
        kind = kind_of(provider)
        info = {"blas": describe(kind, provider), "blas_kind": kind}
        core = _openblas_core(provider) if kind == "openblas" else None
        if core:
            info["blas_core"] = core
        return info
    if blas_config.lower() == "mkl" or "Math Kernel Library" in config:
        return {"blas": "MKL (linked into libtorch; BLAS_INFO=mkl)", "blas_kind": "mkl"}
    for path in libs:
        kind = kind_of(path)
        if kind != "unknown":
            return {"blas": describe(kind, path) + ", mapped; sgemm_ not found", "blas_kind": kind}
    return {"blas": f"not identified (torch BLAS_INFO={blas_config}; mapped: {', '.join(libs) or 'none'})",
            "blas_kind": "unknown"}


# ---------------- models ----------------

class RecurrentRegressor(torch.nn.Module):
    """Keras `Sequential([RNNLayer(units, return_sequences), Dense(1)])`.

    Initialised like Keras: Glorot-uniform input kernel, orthogonal recurrent
    kernel, zero bias (LSTM forget gate bias 1); Dense Glorot-uniform, zero bias.
    Keras LSTM and SimpleRNN have one bias vector, so torch's second (hidden)
    bias is held at zero and not trained; Keras GRU (reset_after=True) has two,
    as torch's does.
    """

    def __init__(self, kind, units, return_sequences, features=1):
        super().__init__()
        cls = {"lstm": torch.nn.LSTM, "rnn": torch.nn.RNN, "gru": torch.nn.GRU}[kind]
        self.rnn = cls(features, units, batch_first=True)
        self.head = torch.nn.Linear(units, 1)
        self.return_sequences = return_sequences
        gates = {"lstm": 4, "rnn": 1, "gru": 3}[kind]
        with torch.no_grad():
            # Keras kernel [F, gates*U] glorot-uniform = torch weight_ih [gates*U, F] with the same fan sum
            torch.nn.init.xavier_uniform_(self.rnn.weight_ih_l0)
            # Keras recurrent kernel [U, gates*U] orthogonal
            torch.nn.init.orthogonal_(self.rnn.weight_hh_l0)
            self.rnn.bias_ih_l0.zero_()
            self.rnn.bias_hh_l0.zero_()
            if kind == "lstm":
                self.rnn.bias_ih_l0[units:2 * units] = 1.0  # unit_forget_bias
            torch.nn.init.xavier_uniform_(self.head.weight)
            self.head.bias.zero_()
        if kind in ("lstm", "rnn"):
            self.rnn.bias_hh_l0.requires_grad_(False)
        assert gates * units == self.rnn.weight_ih_l0.shape[0]

    def forward(self, x):
        out, _ = self.rnn(x)
        if not self.return_sequences:
            out = out[:, -1]
        return self.head(out)  # per time step on [N, T, U]


def params(model):
    return [p for p in model.parameters() if p.requires_grad]


# ---------------- data ----------------

def noisy_sine_windows(rng, n_points=50, window=10, noise=0.1):
    """50 points of sin on [-2pi, 2pi] plus N(0, noise) noise; 40 windows of 10 and their next-step targets."""
    xs = np.linspace(-2 * np.pi, 2 * np.pi, n_points)
    s = np.sin(xs) + noise * rng.standard_normal(n_points)
    n = n_points - window
    x = np.stack([s[i:i + window] for i in range(n)])[..., None]
    y = np.stack([s[i + 1:i + window + 1] for i in range(n)])[..., None]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def random_windows(rng, n, steps, last_only):
    x = rng.standard_normal((n, steps, 1))
    y = rng.standard_normal((n, 1) if last_only else (n, steps, 1))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


# ---------------- training / prediction ----------------

def fit(model, x, y, batch_size, epochs, gen):
    """Keras-style fit: shuffle every epoch, last partial batch kept, one SGD step per batch.

    Returns the last epoch's loss: the sample-weighted mean of its batch losses,
    each taken before its step (what Keras reports as the epoch loss).
    """
    opt = torch.optim.SGD(params(model), lr=LR)
    loss_fn = torch.nn.MSELoss()
    n = x.shape[0]
    epoch_loss = float("nan")
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(0, n, batch_size):
            idx = perm[s:s + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        epoch_loss = total / n
    return epoch_loss


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def train_workload(kind, units, epochs=500):
    def run():
        rng = np.random.default_rng(SEED)
        torch.manual_seed(SEED)
        gen = torch.Generator().manual_seed(SEED)
        x, y = noisy_sine_windows(rng)
        model = RecurrentRegressor(kind, units, return_sequences=True)
        return timed(lambda: fit(model, x, y, batch_size=8, epochs=epochs, gen=gen))
    return run


def w4():
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    x, y = random_windows(rng, 1024, 50, last_only=True)
    model = RecurrentRegressor("lstm", 128, return_sequences=False)
    return timed(lambda: fit(model, x, y, batch_size=64, epochs=3, gen=gen))


PRETRAIN_EPOCHS = 20  # W5/W6: untimed training of the W1 model first


def trained_w1_model():
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    x, y = noisy_sine_windows(rng)
    model = RecurrentRegressor("lstm", 20, return_sequences=True)
    fit(model, x, y, batch_size=8, epochs=PRETRAIN_EPOCHS, gen=gen)
    model.eval()
    return model, x


def forecast(model, first_window, steps=39):
    """Autoregressive forecast: predict, take the last time step's output, slide the window."""
    window = first_window
    preds = []
    for _ in range(steps):
        nxt = model(window)[:, -1:, :]  # [1, 1, 1]
        preds.append(nxt)
        window = torch.cat([window[:, 1:, :], nxt], dim=1)
    return torch.cat(preds, dim=1)


def w5():
    model, x = trained_w1_model()
    first = x[0:1].clone()  # [1, 10, 1]

    def region():
        with torch.no_grad():
            for _ in range(100):
                forecast(model, first)
        return None
    return timed(region)


def w6(batch=None):
    def run():
        model, _ = trained_w1_model()
        rng = np.random.default_rng(SEED + 6)
        x, _ = random_windows(rng, 10_000, 10, last_only=False)

        def region():
            with torch.no_grad():
                if batch is None:
                    model(x)  # one call over all 10,000 windows
                else:
                    for s in range(0, x.shape[0], batch):
                        model(x[s:s + batch])
            return None
        return timed(region)
    return run


WORKLOADS = {
    "W1": ("LSTM(20, return sequences) + Dense(1) per step; 40 noisy-sine windows of 10; batch 8, shuffled; "
           "500 epochs; SGD 0.01, MSE", train_workload("lstm", 20)),
    "W2": ("as W1 with SimpleRNN(20, tanh)", train_workload("rnn", 20)),
    "W3": ("as W1 with GRU(20) (reset_after, like Keras)", train_workload("gru", 20)),
    "W4": ("LSTM(128) last state + Dense(1); 1,024 random windows of 50 steps, 1 feature; batch 64, shuffled; "
           "3 epochs; SGD 0.01, MSE", w4),
    "W5": (f"39-step autoregressive forecast from the first window ([1,10,1]) with a W1 model "
           f"(pre-trained {PRETRAIN_EPOCHS} epochs, untimed), repeated 100 times; no grad", w5),
    "W6": ("predict, no grad, 10,000 random windows of 10 steps, 1 feature, with a W1 model "
           f"(pre-trained {PRETRAIN_EPOCHS} epochs, untimed): one forward call over all 10,000", w6()),
}


KIND_NAMES = {"lstm": "LSTM", "rnn": "SimpleRNN", "gru": "GRU"}


def step_times(kinds, sizes, batch, steps, reps=5, min_run=0.2):
    """Time one training step (forward, MSE, backward, SGD) on a fixed random batch.

    Mirrors gornn's benchmarks.StepCase.TimeStep: one warm-up step, a run
    length doubled from one step until it lasts min_run seconds, then the
    median (and the minimum) over reps runs of the time per step. Yields one record per size.
    """
    for kind in kinds:
        for units in sizes:
            torch.manual_seed(SEED)
            rng = np.random.default_rng(SEED)
            x = torch.tensor(rng.standard_normal((batch, steps, 1)), dtype=torch.float32)
            y = torch.tensor(rng.standard_normal((batch, steps, 1)), dtype=torch.float32)
            model = RecurrentRegressor(kind, units, return_sequences=True)
            opt = torch.optim.SGD(params(model), lr=LR)
            loss_fn = torch.nn.MSELoss()

            def step():
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                return loss.item()

            def run(n):
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                return time.perf_counter() - t0

            step()
            n = 1
            while run(n) < min_run and n < (1 << 20):
                n *= 2
            per = sorted(run(n) / n for _ in range(max(reps, 1)))
            yield {"mode": "step", "kind": KIND_NAMES[kind], "units": units, "batch": batch, "steps": steps,
                   "seconds_per_step": per[len(per) // 2], "min_seconds_per_step": per[0], "torch": torch.__version__,
                   "threads": THREADS, "intra_op_threads": torch.get_num_threads(), **blas_info()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", choices=sorted(WORKLOADS))
    ap.add_argument("--repeat", type=int, default=1, help="run N times from scratch; seconds = median")
    ap.add_argument("--threads", type=int, default=1,
                    help="intra-op threads: torch.set_num_threads(N) and OMP/MKL/OPENBLAS_NUM_THREADS=N (default 1)")
    ap.add_argument("--w6-batch", type=int, default=None,
                    help="W6 only: predict in batches of this size instead of one call (Keras predict uses 32)")
    ap.add_argument("--list", action="store_true", help="list the workloads")
    ap.add_argument("--blas", action="store_true", help="print the BLAS torch calls (JSON) and exit")
    ap.add_argument("--step-sizes", default=None,
                    help="instead of a workload, time one training step for these unit counts (e.g. 20,64,128,256); "
                         "prints one JSON line per layer kind and size")
    ap.add_argument("--step-kinds", default="rnn,lstm,gru", help="--step-sizes: layer kinds (rnn, lstm, gru)")
    ap.add_argument("--step-batch", type=int, default=8, help="--step-sizes: batch size")
    ap.add_argument("--step-time", type=int, default=10, help="--step-sizes: time steps")
    args = ap.parse_args()
    if args.step_sizes:
        kinds = args.step_kinds.split(",")
        for k in kinds:
            if k not in KIND_NAMES:
                ap.error(f"unknown kind {k!r}")
        sizes = [int(u) for u in args.step_sizes.split(",")]
        for rec in step_times(kinds, sizes, args.step_batch, args.step_time):
            print(json.dumps(rec))
            sys.stdout.flush()
        return
    if args.blas:
        print(json.dumps({"torch": torch.__version__, "threads": THREADS, "intra_op_threads": torch.get_num_threads(), **blas_info()}))
        return
    if args.list:
        for k in sorted(WORKLOADS):
            print(f"{k}: {WORKLOADS[k][0]}")
        return
    if not args.workload:
        ap.error("--workload or --list is required")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    run = WORKLOADS[args.workload][1]
    if args.workload == "W6" and args.w6_batch:
        run = w6(args.w6_batch)
    runs, final_loss = [], None
    for _ in range(args.repeat):
        secs, loss = run()
        runs.append(secs)
        final_loss = None if loss is None or math.isnan(loss) else float(loss)
    rec = {
        "workload": args.workload,
        "seconds": statistics.median(runs),
        "final_loss": final_loss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,  # Linux: KiB
        "torch": torch.__version__,
        "threads": THREADS, "intra_op_threads": torch.get_num_threads(),
        **blas_info(),
    }
    if args.repeat > 1:
        rec["runs"] = runs
    if args.workload == "W6" and args.w6_batch:
        rec["batch"] = args.w6_batch
    print(json.dumps(rec))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
