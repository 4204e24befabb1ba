// Choosing among many tools (the lecture: a model shown 500 tools drowns; a selection module shows it the
// few that fit). The registry keeps each tool's manual (name, description, input schema, examples) and
// ranks them for a step's text, by embeddings when given an embedding function (a jielong model's, or an
// endpoint's /v1/embeddings through the AI SDK), else by BM25 over the manuals' words.
import { asSchema, type ToolSet } from 'ai';
import { BM25 } from './bm25.js';

/** Vectors for texts, e.g. `(texts) => embedMany({ model, values: texts }).then((r) => r.embeddings)`. */
export type Embed = (texts: string[]) => Promise<number[][]>;

export interface ToolRegistryOptions {
  embed?: Embed;
  /** Example requests per tool, which join its manual (the lecture's "manual with examples"). */
  examples?: Record<string, string[]>;
}

/** The text a tool is found by: its name, description, input schema and examples. */
async function manual(name: string, t: ToolSet[string], examples: string[] = []): Promise<string> {
  const schema = t.inputSchema ? await asSchema(t.inputSchema).jsonSchema : {};
  return [name, t.description ?? '', JSON.stringify(schema), ...examples].join('\n');
}

const cosine = (a: number[], b: number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.sqrt(na * nb) || 1);
};

export class ToolRegistry<TOOLS extends ToolSet = ToolSet> {
  private constructor(
    readonly tools: TOOLS,
    readonly manuals: string[],
    private readonly bm25: BM25,
    private readonly embed: Embed | undefined,
    private readonly vectors: number[][] | null,
  ) {}

  static async create<T extends ToolSet>(
    tools: T,
    options: ToolRegistryOptions = {},
  ): Promise<ToolRegistry<T>> {
    const names = Object.keys(tools);
    const manuals = await Promise.all(names.map((n) => manual(n, tools[n], options.examples?.[n])));
    const vectors = options.embed ? await options.embed(manuals) : null;
    return new ToolRegistry(tools, manuals, new BM25(manuals), options.embed, vectors);
  }

  get names(): (keyof TOOLS & string)[] {
    return Object.keys(this.tools);
  }

  /** The `k` tools whose manuals best fit `text`, best first. */
  async select(text: string, k: number): Promise<(keyof TOOLS & string)[]> {
    const scores =
      this.vectors && this.embed
        ? await this.embed([text]).then(([q]) => this.vectors!.map((v) => cosine(q, v)))
        : this.bm25.scores(text);
    return this.names
      .map((name, i) => ({ name, score: scores[i] }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((r) => r.name);
  }
}
