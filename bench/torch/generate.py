# PyTorch side of bench/generate.ts: greedy batch-1 generation with jielong_model.py's KV cache, on the
# weights jielong saved. Prefill (the prompt in one forward) and decode (one token per forward) are timed
# apart; each figure is the best over the runs, after a warm-up.
import json
import sys
import time

import torch

from _timing import use_bench_threads
from jielong_model import LanguageModel, load_safetensors

c = json.loads(sys.argv[1])
use_bench_threads()
model = LanguageModel(c["config"]).eval()
model.load_state_dict(load_safetensors(c["weights"]))
prompt = torch.tensor([c["prompt"]])
n = c["tokens"]


@torch.inference_mode()
def run():
    start = time.perf_counter()
    cache = model.new_cache(1, prompt.shape[1] + n)
    token = model(prompt, cache, 0)[0, -1].argmax()
    prefilled = time.perf_counter()
    out = [int(token)]
    pos = prompt.shape[1]
    while len(out) < n:
        token = model(token.view(1, 1), cache, pos)[0, -1].argmax()
        pos += 1
        out.append(int(token))
    end = time.perf_counter()
    return end - start, prefilled - start, end - prefilled, out


results = [run() for _ in range(c["runs"] + 1)][1:]
best = [min(r[i] for r in results) for i in range(3)]
print(json.dumps({"total_s": best[0], "prefill_s": best[1], "decode_s": best[2], "tokens": results[0][3]}))
