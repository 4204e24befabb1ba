// One training step of the tiny GPT (forward, loss, backward, AdamW with zero_grad), ours vs the same
// model in PyTorch (bench/torch/jielong_model.py) at the same threads, in alternating windows, as tokens
// per second. Options: --preset gpt2|llama --vocab 256 --width 128 --layers 4 --heads 4 --seq 128
// --batch 16 --threads 1,2 --windows N --window-ms MS. nanoGPT's baby config (shakespeare_char):
// --width 128 --layers 4 --heads 4 --batch 12 --seq 64 --vocab 65
import { setNumThreads } from '../src/backend/index.js';
import { LanguageModel, makeConfig, type Preset } from '../src/model/index.js';
import { Generator, randint } from '../src/tensor/index.js';
import { DEFAULT_TRAIN_OPTIONS, makeOptimizer } from '../src/train/index.js';
import { alternate, windowOptions } from './_compare.js';
import { withPeer } from './_peer.js';
import { compared, option, progress, type Row, report } from './_report.js';

const batch = Number(option('batch', '16'));
const seq = Number(option('seq', '128'));
const timing = windowOptions({ windows: 8, windowMs: 300 });
const config = makeConfig({
  preset: option('preset', 'gpt2') as Preset,
  vocabSize: Number(option('vocab', '256')),
  blockSize: seq,
  nLayer: Number(option('layers', '4')),
  nHead: Number(option('heads', '4')),
  nEmbd: Number(option('width', '128')),
});

const g = new Generator(0);
const model = new LanguageModel(config, { generator: g });
// The trainer's optimizer: lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on matrices only.
const opt = makeOptimizer(model, DEFAULT_TRAIN_OPTIONS);
const ids = randint(0, config.vocabSize, [batch, seq], g);
const targets = randint(0, config.vocabSize, [batch, seq], g);
const step = () => {
  opt.zeroGrad();
  model.loss(ids, targets).backward();
  opt.step();
  return undefined;
};

const name = `${option('preset', 'gpt2')} d${config.nEmbd} L${config.nLayer} H${config.nHead} B${batch} T${seq}`;
const rows: Row[] = [];
const notes: string[] = [];
for (const threads of option('threads', '1,2').split(',').map(Number)) {
  progress(`${name}: training step, ${threads} thread(s)...`);
  setNumThreads(threads);
  await withPeer(threads, notes, async (peer) => {
    await peer?.load('train', { config, batch, seq });
    const c = await alternate(step, peer, timing);
    rows.push(
      compared(
        { bench: 'train', case: name, metric: 'tokens/s', threads, peer_blas: peer?.info.blas ?? null },
        batch * seq,
        c,
      ),
    );
  });
}
report(rows, notes);
