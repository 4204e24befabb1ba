# PyTorch side of bench/matmul.ts: GFLOP/s of a @ b for each case, best of several timed windows.
import json
import sys

import torch

from _timing import best_seconds, use_bench_threads

config = json.loads(sys.argv[1])
use_bench_threads()
for c in config["cases"]:
    m, k, n = c["m"], c["k"], c["n"]
    a = torch.randn(k, m) if c["transA"] else torch.randn(m, k)
    b = torch.randn(n, k) if c["transB"] else torch.randn(k, n)

    def run():
        x = a.t() if c["transA"] else a
        y = b.t() if c["transB"] else b
        return x @ y

    best = best_seconds(run, 0.2, 3)
    print(json.dumps({"name": c["name"], "gflops": 2 * m * n * k / best / 1e9}))
