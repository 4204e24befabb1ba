# The LSTM mixer in plain PyTorch: torch.nn.LSTM (one layer, batch_first) and, when the hidden size is not
# the model width, the same output projection o_proj back to it. Mirrors src/mixers/lstm.ts.
import torch


class LSTMMixer(torch.nn.Module):
    def __init__(self, dim: int, hidden: int, bias: bool = True):
        super().__init__()
        self.lstm = torch.nn.LSTM(dim, hidden, num_layers=1, batch_first=True)
        self.o_proj = torch.nn.Linear(hidden, dim, bias=bias) if hidden != dim else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)
        return self.o_proj(h) if self.o_proj is not None else h


def make_layer(dim: int, heads: int, settings: dict, bias: bool = True) -> torch.nn.Module:
    return LSTMMixer(dim, int(settings.get("lstmHidden", dim)), bias)
