// One training step of a small MLP (forward, cross-entropy, backward, AdamW), ours vs PyTorch, at the
// same threads, in alternating windows. The step is what a training loop repeats, so overheads of the
// autograd show here. Options: --batch --inputs --hidden --layers --classes --threads 1,2 --windows N
// --window-ms MS
import { setNumThreads } from '../src/backend/index.js';
import { Linear, Module } from '../src/nn/index.js';
import { crossEntropy, Generator, gelu, randint, randn, type Tensor } from '../src/tensor/index.js';
import { AdamW } from '../src/train/index.js';
import { alternate, windowOptions } from './_compare.js';
import { withPeer } from './_peer.js';
import { compared, option, progress, type Row, report } from './_report.js';

const config = {
  batch: Number(option('batch', '256')),
  inputs: Number(option('inputs', '256')),
  hidden: Number(option('hidden', '512')),
  layers: Number(option('layers', '3')),
  classes: Number(option('classes', '10')),
};

class MLP extends Module {
  layers: Linear[];
  constructor(g: Generator) {
    super();
    const sizes = [config.inputs, ...Array(config.layers - 1).fill(config.hidden), config.classes];
    this.layers = sizes.slice(1).map((out, i) => new Linear(sizes[i], out, { generator: g }));
  }
  forward(x: Tensor): Tensor {
    this.layers.slice(0, -1).forEach((l) => {
      x = gelu(l.forward(x));
    });
    return this.layers[this.layers.length - 1].forward(x);
  }
}

const g = new Generator(0);
const model = new MLP(g);
const opt = new AdamW(model.parameters(), { lr: 1e-3 });
const x = randn([config.batch, config.inputs], { generator: g });
const y = randint(0, config.classes, [config.batch], g);
const step = () => {
  opt.zeroGrad();
  crossEntropy(model.forward(x), y).backward();
  opt.step();
  return undefined;
};

const timing = windowOptions({ windows: 8, windowMs: 200 });
const rows: Row[] = [];
const notes: string[] = [];
const name = `B${config.batch} ${config.inputs}-${config.hidden}x${config.layers - 1}-${config.classes}`;
for (const threads of option('threads', '1,2').split(',').map(Number)) {
  progress(`MLP step, ${threads} thread(s)...`);
  setNumThreads(threads);
  await withPeer(threads, notes, async (peer) => {
    await peer?.load('mlp', config);
    const c = await alternate(step, peer, timing);
    rows.push(
      compared(
        { bench: 'mlp', case: name, metric: 'steps/s', threads, peer_blas: peer?.info.blas ?? null },
        1,
        c,
      ),
    );
  });
}
report(rows, notes);
