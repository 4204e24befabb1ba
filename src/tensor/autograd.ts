// Define-by-run reverse-mode autodiff. Each op computes its output, then `record` attaches a node that
// knows the op's inputs and how to turn the output's gradient into theirs. `backward` walks the nodes in
// reverse topological order, summing gradients where a tensor feeds several ops.
import { backend, stridedDims } from '../backend/index.js';
import { fmt } from './shape.js';
import type { Tensor } from './tensor.js';

export type BackwardFn = (gradOutput: Tensor) => (Tensor | null)[];

/** The op that produced a tensor (PyTorch's grad_fn). */
export interface Node {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly backward: BackwardFn;
  /** Where the op was called, kept only in anomaly mode so a NaN in backward can point at its forward. */
  readonly stack?: string;
}

let gradEnabled = true;
let detectAnomaly = process.env.JIELONG_DETECT_ANOMALY === '1';

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording the graph (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const saved = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}

/** Anomaly mode: every op's output and every gradient is checked, and the first NaN/Inf throws. */
export function setDetectAnomaly(on: boolean): void {
  detectAnomaly = on;
}

export function isAnomalyEnabled(): boolean {
  return detectAnomaly;
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

function checkFinite(where: string, t: Tensor, inputs: readonly Tensor[], stack?: string): void {
  const at = firstNonFinite(t.data);
  if (at < 0) return;
  const shapes = inputs.map((x) => fmt(x.shape)).join(', ');
  const origin = stack ? `\nforward call:\n${stack}` : '';
  throw new Error(
    `anomaly: ${where} produced ${t.data[at]} at flat index ${at} of ${fmt(t.shape)} (inputs ${shapes})${origin}`,
  );
}

/**
 * Attaches the autograd node to an op's output when any input needs a gradient. Every op ends with this,
 * so its forward and backward sit side by side; a custom fused op does exactly the same.
 */
export function record(name: string, out: Tensor, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (detectAnomaly) checkFinite(`${name} (forward)`, out, inputs);
  if (!gradEnabled || !inputs.some((x) => x.requiresGrad)) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward, stack: detectAnomaly ? new Error().stack : undefined };
  return out;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: graphs of deep or long-unrolled models overflow the JS call stack when recursive.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order.reverse();
}

function accumulate(into: Tensor | undefined, g: Tensor): Tensor {
  if (!into) return g;
  const sum = new Float32Array(g.data.length);
  backend().binary('add', into.data, g.data, sum, stridedDims([sum.length], [1], [1]));
  return into.withData(sum);
}

/** Backpropagates from `root`, adding into `.grad` of every leaf that requires it. */
export function runBackward(root: Tensor, gradOutput: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward: tensor does not require grad and has no grad_fn');
  const grads = new Map<Tensor, Tensor>([[root, gradOutput]]);
  noGrad(() => {
    for (const t of topologicalOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t); // free as we go: peak memory is the live frontier, not the whole graph
      const node = t.gradFn;
      if (!node || t.retainsGrad) t.grad = accumulate(t.grad ?? undefined, g);
      if (!node) continue;
      const inputGrads = node.backward(g);
      node.inputs.forEach((x, i) => {
        const gi = inputGrads[i];
        if (!gi || !x.requiresGrad) return;
        if (gi.data.length !== x.data.length) {
          throw new Error(
            `backward of ${node.name}: gradient ${fmt(gi.shape)} does not match input ${fmt(x.shape)}`,
          );
        }
        if (detectAnomaly) checkFinite(`backward of ${node.name}`, gi, node.inputs, node.stack);
        grads.set(x, accumulate(grads.get(x), gi.shape === x.shape ? gi : gi.withShape(x.shape)));
      });
    }
  });
}
