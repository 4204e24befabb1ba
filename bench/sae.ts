// One sparse-autoencoder training step (encode, sparsity, decode, loss, backward, AdamW, and for TopK the
// decoder's renormalisation), jielong's SaeTrainer vs the same SAE in PyTorch (bench/torch/sae.py), at the
// same threads, in alternating windows. Options: --d-in 128 --d-sae 2048 --batch 1024 --k 32
// --architectures topk,standard --threads 1,2 --windows N --window-ms MS
import { setNumThreads } from '../src/backend/index.js';
import { SaeTrainer } from '../src/lens/index.js';
import { Generator, randn } from '../src/tensor/index.js';
import { alternate, windowOptions } from './_compare.js';
import { withPeer } from './_peer.js';
import { compared, option, progress, type Row, report } from './_report.js';

const config = {
  d_in: Number(option('d-in', '128')),
  d_sae: Number(option('d-sae', '2048')),
  batch: Number(option('batch', '1024')),
  k: Number(option('k', '32')),
  l1: 1,
};

const timing = windowOptions({ windows: 8, windowMs: 300 });
const rows: Row[] = [];
const notes: string[] = [];
for (const architecture of option('architectures', 'topk,standard').split(',') as ('topk' | 'standard')[]) {
  const g = new Generator(0);
  const trainer = new SaeTrainer(config.d_in, 'bench', {
    architecture,
    dSae: config.d_sae,
    k: config.k,
    l1Coefficient: config.l1,
    // No dead latents in a bench this short: no auxiliary loss on either side.
    deadAfter: Number.POSITIVE_INFINITY,
    generator: g,
  });
  const x = randn([config.batch, config.d_in], { generator: g });
  const step = () => {
    trainer.step(x);
    return undefined;
  };
  const name = `${architecture} ${config.d_in}->${config.d_sae}${architecture === 'topk' ? ` k${config.k}` : ''}, batch ${config.batch}`;
  for (const threads of option('threads', '1,2').split(',').map(Number)) {
    progress(`SAE step, ${name}, ${threads} thread(s)...`);
    setNumThreads(threads);
    await withPeer(threads, notes, async (peer) => {
      await peer?.load('sae', { ...config, architecture });
      const c = await alternate(step, peer, timing);
      rows.push(
        compared(
          { bench: 'sae', case: name, metric: 'steps/s', threads, peer_blas: peer?.info.blas ?? null },
          1,
          c,
        ),
      );
    });
  }
}
report(rows, notes);
