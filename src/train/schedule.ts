// Learning-rate schedule: linear warmup, then cosine decay to minLr (nanoGPT's get_lr).

export interface CosineSchedule {
  lr: number;
  minLr: number;
  warmupIters: number;
  /** Iteration at which the decay reaches minLr (and stays). */
  decayIters: number;
}

export function cosineLr(iter: number, s: CosineSchedule): number {
  if (iter < s.warmupIters) return (s.lr * (iter + 1)) / (s.warmupIters + 1);
  if (iter >= s.decayIters) return s.minLr;
  const progress = (iter - s.warmupIters) / Math.max(1, s.decayIters - s.warmupIters);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (s.lr - s.minLr);
}
