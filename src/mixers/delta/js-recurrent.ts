// The delta rule one token at a time, as generation runs it (forward only): for each head,
//   S <- exp(g_t) S;  u = beta_t (v_t - S^T k_t);  S <- S + k_t u^T;  o_t = scale S^T q_t
// with S [K, V] updated in place. Layouts as in js-chunk.ts.

type F32 = Float32Array;

export function recurrentForward(
  q: F32,
  k: F32,
  v: F32,
  beta: F32,
  g: F32 | null,
  o: F32,
  state: F32,
  B: number,
  T: number,
  H: number,
  K: number,
  V: number,
  scale: number,
): void {
  const u = new Float64Array(V);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const s = Float64Array.from(state.subarray((b * H + h) * K * V, (b * H + h + 1) * K * V));
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * H + h;
        const decay = g ? Math.exp(g[row]) : 1;
        const [qt, kt, vt] = [row * K, row * K, row * V];
        for (let i = 0; i < s.length; i++) s[i] *= decay;
        // What the state currently returns for k_t, and the correction that makes it return v_t.
        u.fill(0);
        for (let i = 0; i < K; i++) for (let j = 0; j < V; j++) u[j] += s[i * V + j] * k[kt + i];
        for (let j = 0; j < V; j++) u[j] = beta[row] * (v[vt + j] - u[j]);
        for (let i = 0; i < K; i++) for (let j = 0; j < V; j++) s[i * V + j] += k[kt + i] * u[j];
        for (let j = 0; j < V; j++) {
          let acc = 0;
          for (let i = 0; i < K; i++) acc += s[i * V + j] * q[qt + i];
          o[row * V + j] = scale * acc;
        }
      }
      state.set(s, (b * H + h) * K * V);
    }
  }
}
