# PyTorch side of bench/matmul.ts: one product a @ b of a case (m, k, n, transA, transB), operands stored
# transposed where the case says, as jielong's are, into an output allocated once.
import torch


def make(c):
    m, k, n = c["m"], c["k"], c["n"]
    a = torch.randn(k, m).t() if c["transA"] else torch.randn(m, k)
    b = torch.randn(n, k).t() if c["transB"] else torch.randn(k, n)
    c = torch.empty(m, n)
    return lambda: torch.matmul(a, b, out=c)
