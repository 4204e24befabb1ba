# DeltaNet (Yang et al. 2024) in plain PyTorch: the peer of src/mixers/deltanet.ts, following fla's DeltaNet
# layer defaults (short convolutions with SiLU on q, k, v; L2-normalised q, k; beta = sigmoid(b_proj x);
# RMSNorm per head) and the chunkwise form of its naive reference: per head, with state S [K, V],
#   S_t = a_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,   o_t = scale S_t^T q_t   (a_t = 1 here)
# Inside each chunk (gam = running sum of log a, E_rj = exp(gam_r - gam_j)) the pseudo-values come from one
# unit-lower-triangular solve, (I + tril(beta E o K K^T, -1)) [W | U0] = [beta e^gam K | beta V]; then
#   U = U0 - W S,  o = e^gam (Q S) + tril(E o Q K^T) U,  S <- e^gam_C S + (e^(gam_C - gam) K)^T U
# for one chunk after another. The gated variant (gated-deltanet.py) reuses this with a_t = exp(g_t).
import torch
import torch.nn as nn
import torch.nn.functional as F


def short_conv(x, weight):
    """silu(causal depthwise conv1d) of x [B, T, D] with weight [D, 1, W]."""
    T, W = x.shape[1], weight.shape[-1]
    y = F.conv1d(x.transpose(1, 2), weight, padding=W - 1, groups=x.shape[-1])[..., :T]
    return F.silu(y.transpose(1, 2))


def l2norm(x, eps=1e-6):
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True) + eps)


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def chunk_delta_rule(q, k, v, beta, g, chunk_size, scale):
    """q, k [B, H, T, K], v [B, H, T, V], beta and g (log decay, or None) [B, H, T] -> o [B, H, T, V]."""
    B, H, T, K = q.shape
    V, C = v.shape[-1], chunk_size
    pad = -T % C  # padded positions have beta = 0 and g = 0: they write nothing and come after all real ones
    q, k, v = (F.pad(x, (0, 0, 0, pad)).view(B, H, -1, C, x.shape[-1]) for x in (q, k, v))
    beta = F.pad(beta, (0, pad)).view(B, H, -1, C)
    gam = torch.zeros_like(beta) if g is None else F.pad(g, (0, pad)).view(B, H, -1, C).cumsum(-1)
    causal = torch.ones(C, C, dtype=torch.bool).tril()
    E = (gam[..., :, None] - gam[..., None, :]).masked_fill(~causal, float("-inf")).exp()
    L = torch.eye(C) + (beta[..., None] * E * (k @ k.transpose(-1, -2))).tril(-1)
    W = torch.linalg.solve_triangular(L, (beta * gam.exp())[..., None] * k, upper=False, unitriangular=True)
    U0 = torch.linalg.solve_triangular(L, beta[..., None] * v, upper=False, unitriangular=True)
    P = (q @ k.transpose(-1, -2)) * E
    S = q.new_zeros(B, H, K, V)
    out = []
    for i in range(q.shape[2]):
        U = U0[:, :, i] - W[:, :, i] @ S
        out.append(gam[:, :, i, :, None].exp() * (q[:, :, i] @ S) + P[:, :, i] @ U)
        last = gam[:, :, i, -1:]
        S = last[..., None].exp() * S + (k[:, :, i] * (last - gam[:, :, i]).exp()[..., None]).transpose(-1, -2) @ U
    return scale * torch.stack(out, dim=2).view(B, H, -1, V)[:, :, :T]


class DeltaNet(nn.Module):
    def __init__(self, dim, heads, conv_size=4, chunk_size=64, eps=1e-5):
        super().__init__()
        self.heads, self.head_dim, self.chunk_size, self.eps = heads, dim // heads, chunk_size, eps
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.b_proj = nn.Linear(dim, heads, bias=False)
        self.q_conv1d = nn.Conv1d(dim, dim, conv_size, groups=dim, bias=False)
        self.k_conv1d = nn.Conv1d(dim, dim, conv_size, groups=dim, bias=False)
        self.v_conv1d = nn.Conv1d(dim, dim, conv_size, groups=dim, bias=False)
        self.o_norm_weight = nn.Parameter(torch.ones(self.head_dim))
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        heads = lambda t: t.view(B, T, self.heads, -1).transpose(1, 2)  # noqa: E731
        q = l2norm(heads(short_conv(self.q_proj(x), self.q_conv1d.weight)))
        k = l2norm(heads(short_conv(self.k_proj(x), self.k_conv1d.weight)))
        v = heads(short_conv(self.v_proj(x), self.v_conv1d.weight))
        beta = self.b_proj(x).sigmoid().transpose(1, 2)
        o = chunk_delta_rule(q, k, v, beta, None, self.chunk_size, self.head_dim ** -0.5).transpose(1, 2)
        return self.o_proj(rms_norm(o, self.o_norm_weight, self.eps).reshape(B, T, -1))


def make_layer(dim: int, heads: int, settings: dict) -> nn.Module:
    return DeltaNet(dim, heads, conv_size=int(settings.get("convSize", 4)), chunk_size=int(settings.get("chunkSize", 64)))
