# PyTorch side of bench/mixers-step.ts: forward + backward of one mixer layer from
# bench/torch/mixers/<kind>.py (make_layer(dim, heads, settings)) on x [batch, seq, dim].
import importlib.util
import os

import torch


def make(c):
    torch.manual_seed(0)
    path = os.path.join(os.path.dirname(__file__), "mixers", c["kind"] + ".py")
    spec = importlib.util.spec_from_file_location(c["kind"].replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    layer = module.make_layer(c["dim"], c["heads"], c.get("settings", {}))
    x = torch.randn(c["batch"], c["seq"], c["dim"], requires_grad=True)
    w = torch.randn(c["batch"], c["seq"], c["dim"])

    def step():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        (layer(x) * w).sum().backward()

    return step
