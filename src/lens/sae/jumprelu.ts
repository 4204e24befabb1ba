// Training a JumpReLU SAE (Rajamanoharan et al. 2024, as Gemma Scope does): the code is z H(z - θ), whose
// derivative in θ is zero almost everywhere, so θ learns through straight-through estimators that smear
// the step over a window of width ε (the rectangle kernel K(u) = 1 for |u| < 1/2):
//   jumpRelu(z, θ) = z H(z - θ)      ∂/∂z = H(z - θ)    ∂/∂θ ≈ -(θ / ε) K((z - θ) / ε)
//   step(z, θ)     = H(z - θ)        ∂/∂z = 0           ∂/∂θ ≈ -(1 / ε) K((z - θ) / ε)
// and the loss is |x - x̂|² + λ Σ step(z, θ), an L0 penalty. θ = exp(log θ) keeps it positive; both ops
// take log θ and return its gradient through the exp.
import { record, Tensor } from '../../tensor/index.js';

/** The rectangle kernel's window: is (z - θ) / ε inside (-1/2, 1/2)? */
const inWindow = (z: number, theta: number, eps: number) => Math.abs(z - theta) < eps / 2;

/** z H(z - θ) for pre-activations z [rows, d] and log θ [d]. */
export function jumpRelu(pre: Tensor, logThreshold: Tensor, bandwidth: number): Tensor {
  const d = logThreshold.data.length;
  const theta = logThreshold.data.map(Math.exp);
  const z = pre.data;
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i] > theta[i % d] ? z[i] : 0;
  return record('jumpRelu', new Tensor(out, [...pre.shape]), [pre, logThreshold], (g) => {
    const gz = new Float32Array(z.length);
    const gLog = new Float32Array(d);
    for (let i = 0; i < z.length; i++) {
      const j = i % d;
      if (z[i] > theta[j]) gz[i] = g.data[i];
      // ∂/∂log θ = θ ∂/∂θ.
      if (inWindow(z[i], theta[j], bandwidth)) gLog[j] -= ((theta[j] * theta[j]) / bandwidth) * g.data[i];
    }
    return [new Tensor(gz, [...pre.shape]), new Tensor(gLog, [d])];
  });
}

/** Σ H(z - θ) over everything, a scalar: the number of codes that fire (the L0 penalty's count). */
export function stepCount(pre: Tensor, logThreshold: Tensor, bandwidth: number): Tensor {
  const d = logThreshold.data.length;
  const theta = logThreshold.data.map(Math.exp);
  const z = pre.data;
  let count = 0;
  for (let i = 0; i < z.length; i++) if (z[i] > theta[i % d]) count++;
  return record('stepCount', new Tensor(Float32Array.of(count), []), [logThreshold], (g) => {
    const gLog = new Float32Array(d);
    const scale = g.data[0] / bandwidth;
    for (let i = 0; i < z.length; i++) {
      const j = i % d;
      if (inWindow(z[i], theta[j], bandwidth)) gLog[j] -= theta[j] * scale;
    }
    return [new Tensor(gLog, [d])];
  });
}
