# Multi-scale retention (RetNet) in plain PyTorch: the peer of src/mixers/retnet.ts, following fla's
# MultiScaleRetention defaults (expand_v 2, rotary q/k, swish output gate, RMSNorm per head) and its
# chunkwise form (fla's chunk_retention): per head a fixed decay gamma_h = 1 - 2^(-5-h); within a chunk
# scores q_i k_j gamma^(i-j), across chunks the state S <- gamma^C S + (k gamma^(C-1-j))^T v.
import torch
import torch.nn as nn
import torch.nn.functional as F


def rotate(x, positions, base=10000.0):
    """Rotary embedding, rotate-half form, on x [B, T, H, D]."""
    half = x.shape[-1] // 2
    freqs = base ** (-torch.arange(half, dtype=x.dtype) / half)
    angles = positions[:, None].to(x.dtype) * freqs[None, :]
    cos, sin = angles.cos()[None, :, None, :], angles.sin()[None, :, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def chunk_retention(q, k, v, log_gamma, chunk_size):
    """q (already scaled), k [B, H, T, K], v [B, H, T, V], log_gamma [H] -> o [B, H, T, V]."""
    B, H, T, K = q.shape
    S = q.new_zeros(B, H, K, v.shape[-1])
    steps = torch.arange(chunk_size, dtype=torch.float32)
    out = []
    chunks = (x.split(chunk_size, dim=2) for x in (q, k, v))
    for qc, kc, vc in zip(*chunks):
        n = qc.shape[2]
        i = steps[:n]
        gaps = i[:, None] - i[None, :]
        decay = torch.where(gaps >= 0, (log_gamma[:, None, None] * gaps).exp(), torch.zeros(()))  # [H, n, n]
        q_decay = (log_gamma[:, None] * (i + 1)).exp()[..., None]  # gamma^(i+1): from the chunk's start
        k_decay = (log_gamma[:, None] * (n - 1 - i)).exp()[..., None]  # gamma^(n-1-j): to the chunk's end
        out.append((qc * q_decay) @ S + ((qc @ kc.transpose(-1, -2)) * decay) @ vc)
        S = (log_gamma * n).exp()[:, None, None] * S + (kc * k_decay).transpose(-1, -2) @ vc
    return torch.cat(out, dim=2)


class MultiScaleRetention(nn.Module):
    def __init__(self, dim, heads, expand_k=1.0, expand_v=2.0, chunk_size=64, eps=1e-5):
        super().__init__()
        self.heads, self.chunk_size, self.eps = heads, chunk_size, eps
        self.key_dim, self.value_dim = int(dim * expand_k), int(dim * expand_v)
        self.head_k, self.head_v = self.key_dim // heads, self.value_dim // heads
        self.q_proj = nn.Linear(dim, self.key_dim, bias=False)
        self.k_proj = nn.Linear(dim, self.key_dim, bias=False)
        self.v_proj = nn.Linear(dim, self.value_dim, bias=False)
        self.g_proj = nn.Linear(dim, self.value_dim, bias=False)
        self.o_proj = nn.Linear(self.value_dim, dim, bias=False)
        self.g_norm_weight = nn.Parameter(torch.ones(self.head_v))
        self.register_buffer("log_gamma", torch.log(1 - 2.0 ** (-5.0 - torch.arange(heads, dtype=torch.float32))))

    def forward(self, x):
        B, T, _ = x.shape
        positions = torch.arange(T)
        q = rotate(self.q_proj(x).view(B, T, self.heads, self.head_k), positions)
        k = rotate(self.k_proj(x).view(B, T, self.heads, self.head_k), positions)
        v = self.v_proj(x).view(B, T, self.heads, self.head_v)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        o = chunk_retention(q * self.head_k ** -0.5, k, v, self.log_gamma, self.chunk_size).transpose(1, 2)
        o = o * torch.rsqrt(o.pow(2).mean(-1, keepdim=True) + self.eps) * self.g_norm_weight
        g = self.g_proj(x).view(B, T, self.heads, self.head_v)
        return self.o_proj((o * F.silu(g)).reshape(B, T, self.value_dim))


def make_layer(dim: int, heads: int, settings: dict) -> nn.Module:
    assert not settings.get("convSize"), "retnet.py has no short convolutions"
    return MultiScaleRetention(
        dim,
        heads,
        expand_k=settings.get("expandK", 1.0),
        expand_v=settings.get("expandV", 2.0),
        chunk_size=int(settings.get("chunkSize", 64)),
    )
