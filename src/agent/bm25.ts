// Okapi BM25 over short documents (tool manuals): the lexical ranking search engines start from, and the
// fallback when no embedding model is at hand. Written out (thirty lines) rather than taken from a
// package: SQLite's FTS5 will do it for the agent's memory; here the corpus is a few hundred manuals in
// memory and the formula is the whole of it.

/** Lowercase words; snake_case and camelCase split, so "born_in" and "bornIn" match "born". */
export function terms(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export class BM25 {
  private readonly docs: Map<string, number>[] = [];
  private readonly lengths: number[] = [];
  private readonly df = new Map<string, number>();

  constructor(
    texts: readonly string[],
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    for (const text of texts) {
      const tf = new Map<string, number>();
      const words = terms(text);
      for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
      for (const w of tf.keys()) this.df.set(w, (this.df.get(w) ?? 0) + 1);
      this.docs.push(tf);
      this.lengths.push(words.length);
    }
  }

  /** The score of every document for the query, in document order. */
  scores(query: string): number[] {
    const n = this.docs.length;
    const avg = this.lengths.reduce((a, b) => a + b, 0) / Math.max(n, 1);
    const q = [...new Set(terms(query))];
    return this.docs.map((tf, i) => {
      let s = 0;
      for (const w of q) {
        const f = tf.get(w);
        if (!f) continue;
        const df = this.df.get(w)!;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        s += (idf * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * this.lengths[i]) / avg));
      }
      return s;
    });
  }
}
