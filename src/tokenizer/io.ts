// tokenizer.json on disk, written atomically (src/io) so a crash leaves the old file or the new one.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/index.js';
import type { ByteLevelBPE } from './bpe.js';
import type { CharTokenizer } from './char.js';
import { tokenizerFromJSON } from './hf-json.js';
import type { SentencePieceBPE } from './sentencepiece.js';
import type { Tokenizer } from './tokenizer.js';

/** Writes the tokenizer as a Hugging Face tokenizer.json file. */
export async function saveTokenizer(tokenizer: Tokenizer, path: string): Promise<void> {
  writeFileAtomic(path, `${JSON.stringify(tokenizer.toJSON(), null, 2)}\n`);
}

/** Reads a tokenizer.json file; errors name the file and what is wrong in it. */
export async function loadTokenizer(path: string): Promise<ByteLevelBPE | CharTokenizer | SentencePieceBPE> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`loadTokenizer: ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadTokenizer: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return tokenizerFromJSON(json);
  } catch (e) {
    throw new Error(`loadTokenizer: ${path}: ${(e as Error).message}`);
  }
}
