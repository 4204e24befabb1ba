# PyTorch side of bench/train.ts: tokens/s of one training step (zero_grad, forward, loss, backward, AdamW)
# of the model in jielong_model.py, best of several timed windows.
import json
import os
import sys
import time

import torch

from jielong_model import LanguageModel, adamw

c = json.loads(sys.argv[1])
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
torch.manual_seed(0)
model = LanguageModel(c["config"])
opt = adamw(model)
vocab = c["config"]["vocabSize"]
ids = torch.randint(0, vocab, (c["batch"], c["seq"]))
targets = torch.randint(0, vocab, (c["batch"], c["seq"]))


def step():
    opt.zero_grad(set_to_none=True)
    model.loss(ids, targets).backward()
    opt.step()


step()
best = float("inf")
for _ in range(c["windows"]):
    reps, start = 0, time.perf_counter()
    while True:
        step()
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed > c["windowMs"] / 1000:
            break
    best = min(best, elapsed / reps)
print(json.dumps({"tokens_per_s": c["batch"] * c["seq"] / best}))
