# Gated linear attention (GLA) in plain PyTorch: the peer of src/mixers/gla.ts, following fla's
# GatedLinearAttention defaults (expand_k 0.5, low-rank gate logsigmoid(.)/16, swish output gate, RMSNorm
# per head) and the chunkwise form of the GLA paper: with G the cumulative log decay inside a chunk,
#   o = (q e^G) S + [(q e^G)(k e^-G)^T, causal] v,    S <- e^G_last S + (k e^(G_last - G))^T v.
# (Factoring through the chunk start is the textbook form; it needs the decay over a chunk to stay above
# e^-80 or so in float32, which holds for this gate at init. fla's kernels and ours factor per sub-chunk.)
# conv_size > 0 adds short convolutions (SiLU) after the q, k, v projections (fla's use_short_conv).
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

# short_conv (silu of a causal depthwise conv1d), shared with the delta-rule peers.
_spec = importlib.util.spec_from_file_location("deltanet", os.path.join(os.path.dirname(__file__), "deltanet.py"))
_delta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_delta)


def chunk_gla(q, k, v, g, chunk_size):
    """q (already scaled), k, g (log decay) [B, H, T, K], v [B, H, T, V] -> o [B, H, T, V]."""
    B, H, T, K = q.shape
    S = q.new_zeros(B, H, K, v.shape[-1])
    causal = torch.ones(chunk_size, chunk_size, dtype=torch.bool).tril()
    out = []
    chunks = (x.split(chunk_size, dim=2) for x in (q, k, v) + (g,))
    for qc, kc, vc, gc in zip(*chunks):
        G = gc.cumsum(dim=2)
        n = qc.shape[2]
        q_decayed = qc * G.exp()
        scores = (q_decayed @ (kc * (-G).exp()).transpose(-1, -2)).masked_fill(~causal[:n, :n], 0)
        out.append(q_decayed @ S + scores @ vc)
        last = G[:, :, -1:]
        S = last.transpose(-1, -2).exp() * S + (kc * (last - G).exp()).transpose(-1, -2) @ vc
    return torch.cat(out, dim=2)


class GatedLinearAttention(nn.Module):
    def __init__(self, dim, heads, expand_k=0.5, expand_v=1.0, gate_low_rank_dim=16, gate_logit_normalizer=16,
                 chunk_size=64, conv_size=0, eps=1e-5):
        super().__init__()
        self.heads, self.chunk_size, self.eps = heads, chunk_size, eps
        self.gate_logit_normalizer = gate_logit_normalizer
        self.key_dim, self.value_dim = int(dim * expand_k), int(dim * expand_v)
        self.head_k, self.head_v = self.key_dim // heads, self.value_dim // heads
        self.q_proj = nn.Linear(dim, self.key_dim, bias=False)
        self.k_proj = nn.Linear(dim, self.key_dim, bias=False)
        self.v_proj = nn.Linear(dim, self.value_dim, bias=False)
        self.g_proj = nn.Linear(dim, self.value_dim, bias=False)
        self.gk_proj = nn.Sequential(nn.Linear(dim, gate_low_rank_dim, bias=False),
                                     nn.Linear(gate_low_rank_dim, self.key_dim, bias=True))
        self.o_proj = nn.Linear(self.value_dim, dim, bias=False)
        self.g_norm_weight = nn.Parameter(torch.ones(self.head_v))
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
        q = self.project(x, "q").view(B, T, self.heads, self.head_k)
        k = self.project(x, "k").view(B, T, self.heads, self.head_k)
        v = self.project(x, "v").view(B, T, self.heads, self.head_v)
        gk = F.logsigmoid(self.gk_proj(x)).view(B, T, self.heads, self.head_k) / self.gate_logit_normalizer
        q, k, v, gk = (t.transpose(1, 2) for t in (q, k, v, gk))
        o = chunk_gla(q * self.head_k ** -0.5, k, v, gk, self.chunk_size).transpose(1, 2)
        o = o * torch.rsqrt(o.pow(2).mean(-1, keepdim=True) + self.eps) * self.g_norm_weight
        g = self.g_proj(x).view(B, T, self.heads, self.head_v)
        return self.o_proj((o * F.silu(g)).reshape(B, T, self.value_dim))


def make_layer(dim: int, heads: int, settings: dict) -> nn.Module:
    return GatedLinearAttention(
        dim,
        heads,
        expand_k=settings.get("expandK", 0.5),
        expand_v=settings.get("expandV", 1.0),
        gate_low_rank_dim=int(settings.get("gateLowRankDim", 16)),
        gate_logit_normalizer=settings.get("gateLogitNormalizer", 16),
        chunk_size=int(settings.get("chunkSize", 64)),
        conv_size=int(settings.get("convSize", 0)),
    )
