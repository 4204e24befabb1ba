// Copies a training checkpoint without its optimizer and trainer state (what ships in models/):
//   node scripts/strip-checkpoint.mjs out/tiny models/tiny
import { loadCheckpoint, saveCheckpoint } from '../dist/src/train/index.js';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: node scripts/strip-checkpoint.mjs FROM_DIR TO_DIR');
  process.exit(2);
}
const { model, tokenizer, tokenizerConfig } = loadCheckpoint(from);
saveCheckpoint(to, { model, tokenizer, tokenizerConfig }); // the chat template stays
console.log(`wrote ${to} (${model.numParameters()} parameters)`);
