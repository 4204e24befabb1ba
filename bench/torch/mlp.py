# PyTorch side of bench/mlp.ts: one training step (zero_grad, forward, cross-entropy, backward, AdamW) of
# the same MLP.
import torch


def make(c):
    torch.manual_seed(0)
    sizes = [c["inputs"]] + [c["hidden"]] * (c["layers"] - 1) + [c["classes"]]
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            mods.append(torch.nn.GELU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(c["batch"], c["inputs"])
    y = torch.randint(0, c["classes"], (c["batch"],))

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step
