# PyTorch side of bench/sae.ts: one training step of the same sparse autoencoder as jielong's SaeTrainer,
# written as SAELens trains one: pre = (x - b_dec) W_enc + b_enc; standard: f = relu(pre), loss = |x̂ - x|²
# + λ Σ f_i |W_dec,i|; topk: f = relu(pre) kept at its k largest, decoder rows renormalised after the step
# (no dead latents in a bench this short, so no auxiliary loss). AdamW without weight decay, as ours.
import torch


def make(c):
    torch.manual_seed(0)
    d_in, d_sae, batch = c["d_in"], c["d_sae"], c["batch"]
    w_dec = torch.randn(d_sae, d_in)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    W_dec = torch.nn.Parameter(w_dec)
    W_enc = torch.nn.Parameter(w_dec.t().clone())
    b_enc = torch.nn.Parameter(torch.zeros(d_sae))
    b_dec = torch.nn.Parameter(torch.zeros(d_in))
    opt = torch.optim.AdamW([W_enc, b_enc, W_dec, b_dec], lr=1e-3, weight_decay=0.0)
    x = torch.randn(batch, d_in)
    topk = c["architecture"] == "topk"

    def step():
        pre = (x - b_dec) @ W_enc + b_enc
        if topk:
            values, indices = torch.topk(pre, c["k"], dim=-1)
            f = torch.zeros_like(pre).scatter(-1, indices, torch.relu(values))
        else:
            f = torch.relu(pre)
        error = f @ W_dec + b_dec - x
        loss = error.pow(2).sum() / batch
        if not topk:
            loss = loss + c["l1"] * (f * W_dec.norm(dim=1)).sum() / batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if topk:
            with torch.no_grad():
                W_dec.div_(W_dec.norm(dim=1, keepdim=True))

    return step
