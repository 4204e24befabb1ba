"""The PyTorch peer of the benches, as one long-lived process per thread count.

bench/_peer.ts starts it with the machine's OpenBLAS overrides removed from its environment (so OpenBLAS
picks its own kernel for this processor) and the thread count set, then alternates timing windows with
jielong's side. One JSON object per line each way:

  (at start, unasked)                 {"torch", "blas", "float64"}: the versions, the BLAS core, and the
                                      relative error of float32 products against float64
  {"load": NAME, "config": {...}}     imports bench/torch/NAME.py and calls its make(config), which
                                      returns the unit of work (a function of no arguments) or a pair
                                      (unit, info); answers {"info": info}
  {"window": SECONDS}                 calls the unit until SECONDS have passed; answers {"seconds"} per
                                      call. A unit that returns a number has timed the part that counts
                                      itself (decode without its prefill, say): those numbers are summed.

Errors answer {"error": text} and the process goes on.
"""

import ctypes
import importlib.util
import json
import os
import sys
import time
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def blas_core():
    """OpenBLAS's configuration and the kernel it chose, asked through ctypes; what else it is, if not."""
    libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower() and "/" in l})
    for path in libs:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_get_corename"):
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            version = lib.openblas_get_config().decode().split(" ")[1]
            return f"OpenBLAS {version} {lib.openblas_get_corename().decode()}"
    return "not OpenBLAS: " + (", ".join(os.path.basename(p) for p in libs) or "no BLAS loaded")


def float64_check():
    """Relative Frobenius error of float32 products against float64 at shapes that hit every code path."""
    g = torch.Generator().manual_seed(0)
    worst = 0.0
    for m, k, n in [(512, 512, 512), (1000, 257, 63), (4096, 256, 1024), (7, 1000, 100)]:
        a = torch.randn(m, k, generator=g)
        b = torch.randn(k, n, generator=g)
        exact = a.double() @ b.double()
        worst = max(worst, float(((a @ b).double() - exact).norm() / exact.norm()))
    return worst


def load(name, config):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.make(config)
    return made if isinstance(made, tuple) else (made, None)


# OpenBLAS's idle threads spin for about 2^28 cycles (its THREAD_TIMEOUT) after each product before they
# sleep: the peer waits that out after its window, so that its spinning does not eat into jielong's.
SETTLE_S = 0.1


def window(unit, seconds):
    calls, timed = 0, 0.0
    start = time.perf_counter()
    while True:
        part = unit()
        calls += 1
        if isinstance(part, float):
            timed += part
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            time.sleep(SETTLE_S)
            return (timed if timed else elapsed) / calls


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    err = float64_check()
    print(json.dumps({"torch": torch.__version__, "blas": blas_core(), "float64": err}), flush=True)
    unit = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if "load" in request:
                unit, info = load(request["load"], request["config"])
                unit()  # warm-up: first-call allocations and lazy initialisation stay out of the windows
                time.sleep(SETTLE_S)
                answer = {"info": info}
            else:
                answer = {"seconds": window(unit, request["window"])}
        except Exception:
            answer = {"error": traceback.format_exc()}
        print(json.dumps(answer), flush=True)


main()
