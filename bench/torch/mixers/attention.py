# Causal multi-head self-attention as a PyTorch user writes it without fused kernels (torch 1.13 has no
# scaled_dot_product_attention): fused qkv projection, masked softmax, output projection.
import math

import torch


class Attention(torch.nn.Module):
    def __init__(self, dim, heads, bias=False):
        super().__init__()
        self.heads = heads
        self.c_attn = torch.nn.Linear(dim, 3 * dim, bias=bias)
        self.c_proj = torch.nn.Linear(dim, dim, bias=bias)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        y = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(b, t, d))


def make_layer(dim, heads, settings, bias=False):
    return Attention(dim, heads, bias)
