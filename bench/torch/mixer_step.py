# PyTorch side of bench/mixers-step.ts: seconds for forward + backward of one mixer layer from
# bench/torch/mixers/<kind>.py (make_layer(dim, heads, settings)) on x [batch, seq, dim].
import importlib.util
import json
import os
import sys

import torch

from _timing import best_seconds, use_bench_threads

c = json.loads(sys.argv[1])
use_bench_threads()
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


print(json.dumps({"seconds": best_seconds(step, c["windowMs"] / 1000, c["windows"])}))
