# Timing shared by the PyTorch peers: the thread count from the environment the bench set, and the best
# seconds per call of a function over several timed windows (the machine is shared and noisy).
import os
import time

import torch


def use_bench_threads():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))


def best_seconds(fn, window_s=0.3, windows=5):
    fn()
    best = float("inf")
    for _ in range(windows):
        reps, start = 0, time.perf_counter()
        while True:
            fn()
            reps += 1
            elapsed = time.perf_counter() - start
            if elapsed > window_s:
                break
        best = min(best, elapsed / reps)
    return best
