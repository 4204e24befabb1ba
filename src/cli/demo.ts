// `jielong demo`: the engine at work on built-in data. A two-layer network learns two interleaved
// spirals (no straight line separates them) with AdamW; loss and accuracy are printed as it trains.
import { parseArgs } from 'node:util';
import { backend, getNumThreads } from '../backend/index.js';
import { Linear, Module } from '../nn/index.js';
import {
  crossEntropy,
  Generator,
  IntTensor,
  matmul,
  noGrad,
  randn,
  Tensor as T,
  type Tensor,
  tanh,
} from '../tensor/index.js';
import { AdamW } from '../train/index.js';

class SpiralNet extends Module {
  fc1: Linear;
  fc2: Linear;
  fc3: Linear;
  constructor(hidden: number, g: Generator) {
    super();
    this.fc1 = new Linear(2, hidden, { generator: g });
    this.fc2 = new Linear(hidden, hidden, { generator: g });
    this.fc3 = new Linear(hidden, 2, { generator: g });
  }
  forward(x: Tensor): Tensor {
    return this.fc3.forward(tanh(this.fc2.forward(tanh(this.fc1.forward(x)))));
  }
}

/** Two spirals, one per class, with a little noise. */
export function spirals(n: number, g: Generator): { x: Tensor; y: IntTensor } {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    const t = 0.25 + 3.5 * Math.PI * g.random();
    const r = t / (3.75 * Math.PI);
    x[2 * i] = r * Math.cos(t + cls * Math.PI) + 0.02 * g.normal();
    x[2 * i + 1] = r * Math.sin(t + cls * Math.PI) + 0.02 * g.normal();
    y[i] = cls;
  }
  return { x: new T(x, [n, 2]), y: new IntTensor(y) };
}

function accuracy(logits: Tensor, y: IntTensor): number {
  let right = 0;
  for (let i = 0; i < y.data.length; i++)
    if ((logits.data[2 * i + 1] > logits.data[2 * i] ? 1 : 0) === y.data[i]) right++;
  return right / y.data.length;
}

function gemmGflops(size: number): number {
  const a = randn([size, size]);
  const b = randn([size, size]);
  matmul(a, b);
  const start = performance.now();
  let reps = 0;
  while (performance.now() - start < 300) {
    matmul(a, b);
    reps++;
  }
  return (2 * size ** 3 * reps) / ((performance.now() - start) * 1e6);
}

export function demo(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      steps: { type: 'string', default: '600' },
      hidden: { type: 'string', default: '64' },
      seed: { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: jielong demo [--steps 600] [--hidden 64] [--seed 0]');
    return;
  }
  const steps = Number(values.steps);
  const g = new Generator(Number(values.seed));
  console.log(`jielong demo on the ${backend().name} backend, ${getNumThreads()} thread(s)`);
  console.log(`matmul 512x512x512: ${gemmGflops(512).toFixed(1)} GFLOP/s`);

  const train = spirals(2000, g);
  const test = spirals(1000, g);
  const model = new SpiralNet(Number(values.hidden), g);
  const opt = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0 });
  console.log(
    `two spirals: ${model.numParameters()} parameters, ${steps} AdamW steps on ${train.y.data.length} points`,
  );
  const start = performance.now();
  for (let step = 1; step <= steps; step++) {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(train.x), train.y);
    loss.backward();
    opt.step();
    if (step % Math.max(1, Math.floor(steps / 6)) === 0 || step === steps) {
      const acc = noGrad(() => accuracy(model.forward(test.x), test.y));
      const rate = (step * train.y.data.length) / ((performance.now() - start) / 1000);
      console.log(
        `step ${String(step).padStart(4)}  loss ${loss.item().toFixed(4)}  test accuracy ${(100 * acc).toFixed(1)}%  ${Math.round(rate)} samples/s`,
      );
    }
  }
}
