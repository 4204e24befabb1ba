# PyTorch side of bench/train.ts: one training step (zero_grad, forward, loss, backward, AdamW) of the
# model in jielong_model.py.
import torch

from jielong_model import LanguageModel, adamw


def make(c):
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

    return step
