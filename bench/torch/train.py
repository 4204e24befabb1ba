# PyTorch side of bench/train.ts: tokens/s of one training step (zero_grad, forward, loss, backward, AdamW)
# of the model in jielong_model.py, best of several timed windows.
import json
import sys

import torch

from _timing import best_seconds, use_bench_threads
from jielong_model import LanguageModel, adamw

c = json.loads(sys.argv[1])
use_bench_threads()
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


best = best_seconds(step, c["windowMs"] / 1000, c["windows"])
print(json.dumps({"tokens_per_s": c["batch"] * c["seq"] / best}))
