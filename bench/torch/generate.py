# PyTorch side of bench/generate.ts: greedy batch-1 generation with jielong_model.py's KV cache, on the
# weights jielong saved. A unit is one whole generation; phase "prefill" or "decode" makes it report the
# seconds of that phase alone (the prompt in one forward; one token per forward after it), "loop" the
# whole. The info is the tokens, to check both sides generate the same.
import time

import torch

from jielong_model import LanguageModel, load_safetensors


def make(c):
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
        return out, {"loop": end - start, "prefill": prefilled - start, "decode": end - prefilled}

    tokens = run()[0]
    return (lambda: run()[1][c["phase"]]), tokens
