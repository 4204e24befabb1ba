# Linear attention (Katharopoulos et al.) in plain PyTorch: the peer of src/mixers/linear-attention.ts,
# following fla's LinearAttention defaults (Hadamard feature map, no denominator, RMSNorm per head) and its
# chunkwise form (fla's chunk_linear_attn): within a chunk a masked q k^T product, across chunks the state
#   S <- S + k^T v.
import torch
import torch.nn as nn


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
    def __init__(self, dim, heads, expand_k=1.0, expand_v=1.0, chunk_size=64, eps=1e-5):
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

    def forward(self, x):
        B, T, _ = x.shape
        q = self.feature_map_q(self.q_proj(x).view(B, T, self.heads, self.head_k))
        k = self.feature_map_k(self.k_proj(x).view(B, T, self.heads, self.head_k))
        v = self.v_proj(x).view(B, T, self.heads, self.head_v)
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
    )
