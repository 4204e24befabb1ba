# Gated DeltaNet (Yang, Kautz & Hatamizadeh 2024) in plain PyTorch: the peer of src/mixers/gated-deltanet.ts,
# following fla's GatedDeltaNet layer defaults (value heads expand_v = 2 times the key heads; Mamba2's decay
# g = -exp(A_log) softplus(a_proj x + dt_bias); output o_norm(o) * silu(g_proj x)) and the same chunkwise
# delta rule as deltanet.py, now with a_t = exp(g_t):
#   S_t = a_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,   o_t = scale S_t^T q_t
import importlib.util
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

_spec = importlib.util.spec_from_file_location("deltanet", os.path.join(os.path.dirname(__file__), "deltanet.py"))
_delta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_delta)


class GatedDeltaNet(nn.Module):
    def __init__(self, dim, heads, head_dim=None, expand_v=2.0, conv_size=4, chunk_size=64, eps=1e-5):
        super().__init__()
        self.heads, self.chunk_size, self.eps = heads, chunk_size, eps
        self.head_k = head_dim or dim // heads
        self.head_v = int(self.head_k * expand_v)
        key_dim, value_dim = heads * self.head_k, heads * self.head_v
        self.q_proj = nn.Linear(dim, key_dim, bias=False)
        self.k_proj = nn.Linear(dim, key_dim, bias=False)
        self.v_proj = nn.Linear(dim, value_dim, bias=False)
        self.a_proj = nn.Linear(dim, heads, bias=False)
        self.b_proj = nn.Linear(dim, heads, bias=False)
        self.A_log = nn.Parameter(torch.empty(heads).uniform_(0, 16).log())
        dt = torch.exp(torch.rand(heads) * (math.log(0.1) - math.log(0.001)) + math.log(0.001)).clamp(min=1e-4)
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))
        self.q_conv1d = nn.Conv1d(key_dim, key_dim, conv_size, groups=key_dim, bias=False)
        self.k_conv1d = nn.Conv1d(key_dim, key_dim, conv_size, groups=key_dim, bias=False)
        self.v_conv1d = nn.Conv1d(value_dim, value_dim, conv_size, groups=value_dim, bias=False)
        self.g_proj = nn.Linear(dim, value_dim, bias=False)
        self.o_norm_weight = nn.Parameter(torch.ones(self.head_v))
        self.o_proj = nn.Linear(value_dim, dim, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        heads = lambda t: t.view(B, T, self.heads, -1).transpose(1, 2)  # noqa: E731
        q = _delta.l2norm(heads(_delta.short_conv(self.q_proj(x), self.q_conv1d.weight)))
        k = _delta.l2norm(heads(_delta.short_conv(self.k_proj(x), self.k_conv1d.weight)))
        v = heads(_delta.short_conv(self.v_proj(x), self.v_conv1d.weight))
        beta = self.b_proj(x).sigmoid().transpose(1, 2)
        g = (-self.A_log.exp() * F.softplus(self.a_proj(x) + self.dt_bias)).transpose(1, 2)
        o = _delta.chunk_delta_rule(q, k, v, beta, g, self.chunk_size, self.head_k ** -0.5).transpose(1, 2)
        gate = F.silu(self.g_proj(x).view(B, T, self.heads, self.head_v))
        return self.o_proj((_delta.rms_norm(o, self.o_norm_weight, self.eps) * gate).reshape(B, T, -1))


def make_layer(dim: int, heads: int, settings: dict) -> nn.Module:
    return GatedDeltaNet(
        dim,
        heads,
        head_dim=settings.get("headDim"),
        expand_v=settings.get("expandV", 2.0),
        conv_size=int(settings.get("convSize", 4)),
        chunk_size=int(settings.get("chunkSize", 64)),
    )
