# Linear attention (Katharopoulos et al.) in plain PyTorch: the peer of src/mixers/linear-attention.ts,
# following fla's LinearAttention defaults (Hadamard feature map, no denominator, RMSNorm per head) and its
# chunkwise form (fla's chunk_linear_attn): within a chunk a masked q k^T product, across chunks the state
#   S <- S + k^T v.
# conv_size > 0 adds short convolutions (SiLU) after the q, k, v projections, as jielong's convSize.
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

# short_conv (silu of a causal depthwise conv1d), shared with the delta-rule peers.
_spec = importlib.util.spec_from_file_location("deltanet", os.path.join(os.path.dirname(__file__), "deltanet.py"))
_delta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_delta)


class HadamardFeatureMap(nn.Module):
    def __init__(self, head_dim):
        super().__init__()
        self.layer1 = nn.Linear(head_dim, head_dim)
        self.layer2 = nn.Linear(head_dim, head_dim)

    def forward(self, x):
        return self.layer1(x) * self.layer2(x)


def chunk_linear_attn(q, k, v, chunk_size):
    """q (already scaled), k [B, H, T, K], v [B, H, T, V] -> o [B, H, T, V]."""
    B, H, T, K = q.shape
    S = q.new_zeros(B, H, K, v.shape[-1])
    causal = torch.ones(chunk_size, chunk_size, dtype=torch.bool).tril()
    out = []
    chunks = (x.split(chunk_size, dim=2) for x in (q, k, v))
    for qc, kc, vc in zip(*chunks):
        n = qc.shape[2]
        scores = (qc @ kc.transpose(-1, -2)).masked_fill(~causal[:n, :n], 0)
        out.append(qc @ S + scores @ vc)
        S = S + kc.transpose(-1, -2) @ vc
    return torch.cat(out, dim=2)


class LinearAttention(nn.Module):
    def __init__(self, dim, heads, expand_k=1.0, expand_v=1.0, chunk_size=64, conv_size=0, eps=1e-5):
        super().__init__()
        self.heads, self.chunk_size, self.eps = heads, chunk_size, eps
        self.key_dim, self.value_dim = int(dim * expand_k), int(dim * expand_v)
        self.head_k, self.head_v = self.key_dim // heads, self.value_dim // heads
        self.feature_map_q = HadamardFeatureMap(self.head_k)
        self.feature_map_k = HadamardFeatureMap(self.head_k)
        self.q_proj = nn.Linear(dim, self.key_dim, bias=False)
        self.k_proj = nn.Linear(dim, self.key_dim, bias=False)
        self.v_proj = nn.Linear(dim, self.value_dim, bias=False)
        self.norm_weight = nn.Parameter(torch.ones(self.head_v))
        self.o_proj = nn.Linear(self.value_dim, dim, bias=False)
        self.conv_size = conv_size
        if conv_size:
            self.q_conv1d = nn.Conv1d(self.key_dim, self.key_dim, conv_size, groups=self.key_dim, bias=False)
            self.k_conv1d = nn.Conv1d(self.key_dim, self.key_dim, conv_size, groups=self.key_dim, bias=False)
            self.v_conv1d = nn.Conv1d(self.value_dim, self.value_dim, conv_size, groups=self.value_dim, bias=False)

    def project(self, x, which):
        y = getattr(self, which + "_proj")(x)
        return _delta.short_conv(y, getattr(self, which + "_conv1d").weight) if self.conv_size else y

    def forward(self, x):
        B, T, _ = x.shape
        q = self.feature_map_q(self.project(x, "q").view(B, T, self.heads, self.head_k))
        k = self.feature_map_k(self.project(x, "k").view(B, T, self.heads, self.head_k))
        v = self.project(x, "v").view(B, T, self.heads, self.head_v)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        o = chunk_linear_attn(q * self.head_k ** -0.5, k, v, self.chunk_size).transpose(1, 2)
        o = o * torch.rsqrt(o.pow(2).mean(-1, keepdim=True) + self.eps) * self.norm_weight
        return self.o_proj(o.reshape(B, T, self.value_dim))


def make_layer(dim: int, heads: int, settings: dict) -> nn.Module:
    return LinearAttention(
        dim,
        heads,
        expand_k=settings.get("expandK", 1.0),
        expand_v=settings.get("expandV", 1.0),
        chunk_size=int(settings.get("chunkSize", 64)),
        conv_size=int(settings.get("convSize", 0)),
    )
