"""The jielong language model (src/model/) written again in plain PyTorch, for fixtures and benches.

It reads the same config JSON (the ModelConfig of src/model/config.ts, camelCase keys) and has the same
parameter names and layouts (torch.nn.Linear [out, in]), so a state dict moves 1:1 between the two.
Attention is written out (q k^T, mask, softmax, v) because torch 1.13 has no scaled_dot_product_attention;
generation keeps its own preallocated KV cache, [B, H, capacity, D] per layer, as jielong's KVCache does.
"""

import json
import math
import struct

import torch
import torch.nn.functional as F
from torch import nn


def mlp_hidden(c):
    if c.get("mlpHidden"):
        return c["mlpHidden"]
    return 4 * c["nEmbd"] if c["mlp"] == "gelu" else math.ceil(8 * c["nEmbd"] / 3 / 8) * 8


def rotary_table(head_dim, positions, theta):
    """cos and sin [positions, head_dim / 2], worked out in float64 and rounded once, as src/nn/rotary.ts."""
    half = head_dim // 2
    freqs = theta ** (-torch.arange(half, dtype=torch.float64) / half)
    angles = torch.arange(positions, dtype=torch.float64)[:, None] * freqs[None, :]
    return angles.cos().float(), angles.sin().float()


def apply_rope(x, cos, sin):
    """Rotate-half RoPE on x [B, H, T, D]: dims i and i + D/2 form pair i (Hugging Face Llama's layout)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class LayerNorm(nn.Module):
    # torch 1.13's nn.LayerNorm cannot drop just the bias.
    def __init__(self, dim, eps, bias):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def make_norm(c):
    if c["norm"] == "layernorm":
        return LayerNorm(c["nEmbd"], c["normEps"], c["bias"])
    return RMSNorm(c["nEmbd"], c["normEps"])


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        dim = c["nEmbd"]
        self.heads = c["nHead"]
        self.c_attn = nn.Linear(dim, 3 * dim, bias=c["bias"])
        self.c_proj = nn.Linear(dim, dim, bias=c["bias"])

    def forward(self, x, rotary, cache, pos):
        B, T, C = x.shape
        H = self.heads
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in self.c_attn(x).split(C, dim=2))
        if rotary is not None:
            cos, sin = (r[pos : pos + T] for r in rotary)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k_all, v_all = cache
            k_all[:, :, pos : pos + T] = k
            v_all[:, :, pos : pos + T] = v
            k, v = k_all[:, :, : pos + T], v_all[:, :, : pos + T]
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        if T > 1:  # query i sits at position pos + i and may not see later keys
            keys = pos + T
            future = torch.arange(keys)[None, :] > torch.arange(pos, keys)[:, None]
            scores = scores.masked_fill(future, float("-inf"))
        z = F.softmax(scores, dim=-1) @ v
        return self.c_proj(z.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["nEmbd"], mlp_hidden(c), bias=c["bias"])
        self.c_proj = nn.Linear(mlp_hidden(c), c["nEmbd"], bias=c["bias"])

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class SwiGLU(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["nEmbd"], mlp_hidden(c), bias=c["bias"])
        self.up_proj = nn.Linear(c["nEmbd"], mlp_hidden(c), bias=c["bias"])
        self.down_proj = nn.Linear(mlp_hidden(c), c["nEmbd"], bias=c["bias"])

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = make_norm(c)
        self.attn = CausalSelfAttention(c)
        self.ln_2 = make_norm(c)
        self.mlp = MLP(c) if c["mlp"] == "gelu" else SwiGLU(c)
        self.dropout = nn.Dropout(c["dropout"])

    def forward(self, x, rotary, cache, pos):
        x = x + self.dropout(self.attn(self.ln_1(x), rotary, cache, pos))
        return x + self.dropout(self.mlp(self.ln_2(x)))


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocabSize"], c["nEmbd"])
        self.wpe = nn.Embedding(c["blockSize"], c["nEmbd"]) if c["positions"] == "learned" else None
        self.h = nn.ModuleList(Block(c) for _ in range(c["nLayer"]))
        self.ln_f = make_norm(c)


class LanguageModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        mixers = c["mixer"] if isinstance(c["mixer"], list) else [c["mixer"]]
        if any(m != "attention" for m in mixers):
            raise ValueError(f"jielong_model.py: only attention mixers, got {c['mixer']}")
        self.config = c
        self.transformer = Transformer(c)
        # Tied: no lm_head at all, so named_parameters() lists exactly what jielong's namedParameters() does.
        self.lm_head = None if c["tieEmbeddings"] else nn.Linear(c["nEmbd"], c["vocabSize"], bias=False)
        self.dropout = nn.Dropout(c["dropout"])
        head_dim = c["nEmbd"] // c["nHead"]
        rope = c["positions"] == "rope"
        self.rotary = rotary_table(head_dim, c["blockSize"], c["ropeTheta"]) if rope else None

    def forward(self, ids, cache=None, pos=0):
        """Logits [B, T, vocab] for ids [B, T]; with a cache (new_cache), continues at position pos."""
        t = self.transformer
        T = ids.shape[1]
        if pos + T > self.config["blockSize"]:
            raise ValueError(f"{pos + T} tokens exceed blockSize {self.config['blockSize']}")
        x = t.wte(ids)
        if t.wpe is not None:
            x = x + t.wpe(torch.arange(pos, pos + T))
        x = self.dropout(x)
        for i, block in enumerate(t.h):
            x = block(x, self.rotary, cache[i] if cache is not None else None, pos)
        x = t.ln_f(x)
        return x @ (self.lm_head.weight if self.lm_head is not None else t.wte.weight).t()

    def loss(self, ids, targets):
        logits = self(ids)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)

    def new_cache(self, batch, capacity):
        c = self.config
        H, D = c["nHead"], c["nEmbd"] // c["nHead"]
        dtype = self.transformer.wte.weight.dtype
        return [
            (torch.zeros(batch, H, capacity, D, dtype=dtype), torch.zeros(batch, H, capacity, D, dtype=dtype))
            for _ in range(c["nLayer"])
        ]


def adamw(model, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1):
    """AdamW with weight decay on matrices (2-D: linear weights, embeddings) and none on biases and norms."""
    params = list(model.parameters())
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)


def load_safetensors(path):
    """F32 and I32 tensors of a safetensors file (what jielong's writer produces), by name."""
    dtypes = {"F32": torch.float32, "I32": torch.int32}
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        if e["dtype"] not in dtypes:
            raise ValueError(f"{path}: {name} has dtype {e['dtype']}, expected F32 or I32")
        begin, end = e["data_offsets"]
        raw = bytearray(data[8 + n + begin : 8 + n + end])
        out[name] = torch.frombuffer(raw, dtype=dtypes[e["dtype"]]).reshape(e["shape"]).clone()
    return out
