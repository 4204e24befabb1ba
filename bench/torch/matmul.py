# PyTorch side of bench/matmul.ts: GFLOP/s of a @ b for each case, best of several timed windows.
import json
import os
import sys
import time

import torch

config = json.loads(sys.argv[1])
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
for c in config["cases"]:
    m, k, n = c["m"], c["k"], c["n"]
    a = torch.randn(k, m) if c["transA"] else torch.randn(m, k)
    b = torch.randn(n, k) if c["transB"] else torch.randn(k, n)

    def run():
        x = a.t() if c["transA"] else a
        y = b.t() if c["transB"] else b
        return x @ y

    run()
    best = float("inf")
    for _ in range(3):
        reps, start = 0, time.perf_counter()
        while True:
            run()
            reps += 1
            elapsed = time.perf_counter() - start
            if elapsed > 0.2:
                break
        best = min(best, elapsed / reps)
    print(json.dumps({"name": c["name"], "gflops": 2 * m * n * k / best / 1e9}))
