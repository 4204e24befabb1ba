# The Mamba block (Gu & Dao 2023, state-spaces/mamba's mamba_simple.py) in plain PyTorch, as a user without
# the CUDA kernels writes it (the mamba-minimal way): the discretised A and B u are materialised for the
# whole sequence, then a Python loop runs the selective scan one step at a time, autograd recording each.
#   h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t,  y_t = C_t . h_t + D u_t,  out = out_proj(y * silu(z))
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mamba(nn.Module):
    def __init__(
        self, dim, expand=2, d_state=16, d_conv=4, dt_rank=None, dt_min=0.001, dt_max=0.1, dt_floor=1e-4,
        bias=False,
    ):
        super().__init__()
        self.d_inner = int(expand * dim)
        self.d_state = d_state
        self.dt_rank = dt_rank or math.ceil(dim / 16)
        self.in_proj = nn.Linear(dim, 2 * self.d_inner, bias=bias)
        self.conv1d = nn.Conv1d(self.d_inner, self.d_inner, d_conv, groups=self.d_inner, padding=d_conv - 1)
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner)
        # softplus(dt_proj.bias) = dt, log-uniform in [dt_min, dt_max].
        dt = torch.exp(torch.rand(self.d_inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        dt = dt.clamp(min=dt_floor)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        A = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(self.d_inner, 1)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, dim, bias=bias)

    def forward(self, x):
        seq = x.shape[1]
        xs, z = self.in_proj(x).chunk(2, dim=-1)
        xs = F.silu(self.conv1d(xs.transpose(1, 2))[..., :seq].transpose(1, 2))
        dt, B, C = self.x_proj(xs).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))
        y = selective_scan(xs, delta, -torch.exp(self.A_log), B, C, self.D)
        return self.out_proj(y * F.silu(z))


def selective_scan(u, delta, A, B, C, D):
    """u, delta [b, t, d]; A [d, n]; B, C [b, t, n]; D [d] -> y [b, t, d]."""
    batch, _, d_inner = u.shape
    decay = torch.exp(delta.unsqueeze(-1) * A)  # [b, t, d, n]
    drive = (delta * u).unsqueeze(-1) * B.unsqueeze(2)  # [b, t, d, n]
    h = u.new_zeros(batch, d_inner, A.shape[1])
    ys = []
    # unbind, not decay[:, t]: the backward of each index would write a zero-filled full-length gradient,
    # making the backward quadratic in the sequence length.
    for decay_t, drive_t, c_t in zip(decay.unbind(1), drive.unbind(1), C.unbind(1)):
        h = decay_t * h + drive_t
        ys.append(torch.einsum("bdn,bn->bd", h, c_t))
    return torch.stack(ys, dim=1) + u * D


def make_layer(dim: int, heads: int, settings: dict, bias: bool = False) -> nn.Module:
    return Mamba(
        dim,
        expand=settings.get("expand", 2),
        d_state=settings.get("dState", 16),
        d_conv=settings.get("convSize", 4),
        dt_rank=settings.get("dtRank"),
        bias=bias,
    )
