// Training-step time of each mixer layer alone (forward + backward of sum(layer(x) * w)) at seq 512 and
// 2048, ours vs the same layer in plain PyTorch (bench/torch/mixers/<kind>.py) where one exists, as
// tokens per second, in alternating windows. Options: --mixers, --seqs 512,2048, --batch 4, --dim 128,
// --heads 4, --threads 2, --windows N, --window-ms MS.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setNumThreads } from '../src/backend/index.js';
import { createMixer } from '../src/mixers/index.js';
import { HookContext, rotaryTable } from '../src/nn/index.js';
import { Generator, mul, randn, sum } from '../src/tensor/index.js';
import { alternate, windowOptions } from './_compare.js';
import { mixersToRun } from './_mixers.js';
import { type TorchPeer, withPeer } from './_peer.js';
import { compared, option, progress, type Row, report } from './_report.js';

const seqs = option('seqs', '512,2048').split(',').map(Number);
const batch = Number(option('batch', '4'));
const dim = Number(option('dim', '128'));
const heads = Number(option('heads', '4'));
const threads = Number(option('threads', '2'));
const timing = windowOptions({ windows: 6, windowMs: 300 });
setNumThreads(threads);

const rows: Row[] = [];
const notes: string[] = [];
await withPeer(threads, notes, async (peer: TorchPeer | null) => {
  for (const kind of mixersToRun()) {
    const peerFile = fileURLToPath(new URL(`../../bench/torch/mixers/${kind}.py`, import.meta.url));
    const layerPeer = existsSync(peerFile) ? peer : null;
    for (const seq of seqs) {
      const g = new Generator(0);
      const layer = createMixer(kind, {
        dim,
        name: 'bench',
        heads,
        bias: false,
        std: 0.02,
        projStd: 0.02,
        rotary: rotaryTable(dim / heads, seq),
        generator: g,
      });
      const x = randn([batch, seq, dim], { generator: g, requiresGrad: true });
      const w = randn([batch, seq, dim], { generator: g });
      const ctx = { hooks: new HookContext(), state: null, pos: 0 };
      const step = () => {
        layer.zeroGrad();
        x.grad = null;
        sum(mul(layer.forward(x, ctx), w)).backward();
        return undefined;
      };
      progress(`${kind} seq ${seq}...`);
      await layerPeer?.load('mixer_step', { kind, dim, heads, batch, seq });
      const c = await alternate(step, layerPeer, timing);
      const where = { bench: 'mixers-step', case: `${kind} B${batch} T${seq} d${dim}`, metric: 'tokens/s' };
      rows.push(compared({ ...where, threads, peer_blas: layerPeer?.info.blas ?? null }, batch * seq, c));
    }
  }
});
report(rows, notes);
