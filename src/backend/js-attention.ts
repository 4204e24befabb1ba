// Reference attention and rotary kernels: one query row at a time, the math as written in the papers.
// qkv rows are [q heads | k heads | v heads]; head h of q starts at column h * D, of k at H*D + h*D.
import type { Backend } from './backend.js';

type AttentionKernels = Pick<Backend, 'causalAttention' | 'causalAttentionGrad' | 'cachedAttention' | 'rope'>;

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, n: number): number {
  let s = 0;
  for (let d = 0; d < n; d++) s += a[ai + d] * b[bi + d];
  return s;
}

export const jsAttention: AttentionKernels = {
  causalAttention(qkv, out, lse, B, T, H, D, scale) {
    const width = 3 * H * D;
    const scores = new Float64Array(T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          const qi = (b * T + i) * width + h * D;
          let max = Number.NEGATIVE_INFINITY;
          for (let j = 0; j <= i; j++) {
            scores[j] = scale * dot(qkv, qi, qkv, (b * T + j) * width + H * D + h * D, D);
            max = Math.max(max, scores[j]);
          }
          let sum = 0;
          for (let j = 0; j <= i; j++) sum += Math.exp(scores[j] - max);
          const oi = (b * T + i) * H * D + h * D;
          for (let d = 0; d < D; d++) {
            let acc = 0;
            for (let j = 0; j <= i; j++)
              acc += Math.exp(scores[j] - max) * qkv[(b * T + j) * width + 2 * H * D + h * D + d];
            out[oi + d] = acc / sum;
          }
          lse[(b * H + h) * T + i] = max + Math.log(sum);
        }
      }
    }
  },

  // With p_ij = exp(s_ij - lse_i) and delta_i = dO_i . O_i:
  // dV_j += p_ij dO_i, dS_ij = p_ij (dO_i . v_j - delta_i), dQ_i += scale dS_ij k_j, dK_j += scale dS_ij q_i.
  causalAttentionGrad(qkv, out, lse, gy, gqkv, B, T, H, D, scale) {
    const width = 3 * H * D;
    gqkv.fill(0);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          const qi = (b * T + i) * width + h * D;
          const oi = (b * T + i) * H * D + h * D;
          const delta = dot(gy, oi, out, oi, D);
          for (let j = 0; j <= i; j++) {
            const kj = (b * T + j) * width + H * D + h * D;
            const vj = kj + H * D;
            const p = Math.exp(scale * dot(qkv, qi, qkv, kj, D) - lse[(b * H + h) * T + i]);
            const ds = p * (dot(gy, oi, qkv, vj, D) - delta);
            for (let d = 0; d < D; d++) {
              gqkv[vj + d] += p * gy[oi + d];
              gqkv[qi + d] += scale * ds * qkv[kj + d];
              gqkv[kj + d] += scale * ds * qkv[qi + d];
            }
          }
        }
      }
    }
  },

  cachedAttention(qkv, kCache, vCache, out, B, T, H, D, pos, capacity, scale) {
    const width = 3 * H * D;
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const cache = (b * H + h) * capacity * D;
        for (let i = 0; i < T; i++) {
          const row = (b * T + i) * width + h * D;
          kCache.set(qkv.subarray(row + H * D, row + H * D + D), cache + (pos + i) * D);
          vCache.set(qkv.subarray(row + 2 * H * D, row + 2 * H * D + D), cache + (pos + i) * D);
        }
        for (let i = 0; i < T; i++) {
          const qi = (b * T + i) * width + h * D;
          const last = pos + i;
          const scores = new Float64Array(last + 1);
          let max = Number.NEGATIVE_INFINITY;
          for (let j = 0; j <= last; j++) {
            scores[j] = scale * dot(qkv, qi, kCache, cache + j * D, D);
            max = Math.max(max, scores[j]);
          }
          let sum = 0;
          for (let j = 0; j <= last; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
          }
          const oi = (b * T + i) * H * D + h * D;
          for (let d = 0; d < D; d++) {
            let acc = 0;
            for (let j = 0; j <= last; j++) acc += scores[j] * vCache[cache + j * D + d];
            out[oi + d] = acc / sum;
          }
        }
      }
    }
  },

  rope(x, cos, sin, B, T, rowWidth, heads, D, pos, inverse) {
    const half = D / 2;
    const sign = inverse ? -1 : 1;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const angle = (pos + t) * half;
        for (let h = 0; h < heads; h++) {
          const at = (b * T + t) * rowWidth + h * D;
          for (let i = 0; i < half; i++) {
            const c = cos[angle + i];
            const s = sign * sin[angle + i];
            const x1 = x[at + i];
            const x2 = x[at + i + half];
            x[at + i] = x1 * c - x2 * s;
            x[at + i + half] = x2 * c + x1 * s;
          }
        }
      }
    }
  },
};
