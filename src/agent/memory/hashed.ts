// A lexical embedding that needs no model: lower-cased words hashed (FNV-1a) into `dims` buckets, counted.
// On the agent-memory bench it finds the right memory far more often than a small model's own states do,
// so it is what the text-world agent reads its memories with.
import type { Embed } from '../tool-registry.js';

export const hashedEmbed =
  (dims = 512): Embed =>
  async (texts) =>
    texts.map((t) => {
      const v = new Array(dims).fill(0);
      for (const w of t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
        let h = 2166136261;
        for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
        v[(h >>> 0) % dims] += 1;
      }
      return v;
    });
