// Which form the mixer ops run: their kernels (always, outside tests), or their naive form written from
// ordinary tensor ops (ops/<family>/naive.ts: slow, obviously correct, differentiated by autograd). Running
// a whole layer both ways holds every kernel, forward and backward, to its reference in place.
let naive = false;

export function naiveOps(): boolean {
  return naive;
}

/** Runs fn with every mixer op in its naive form. */
export function withNaiveOps<T>(fn: () => T): T {
  const was = naive;
  naive = true;
  try {
    return fn();
  } finally {
    naive = was;
  }
}
