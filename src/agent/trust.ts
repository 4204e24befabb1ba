// Trust (the lecture: a tool's answer is evidence, not an order, and models weigh it against what they
// already believe). Three pieces:
//   provenance  every tool result reaches the model as data: { tool, arguments, at, data, flags }
//   injection   text in a result that tries to instruct the agent is flagged, and its sentences withheld
//               (or only flagged, by choice); turn-forging special tokens never survive rendering
//               (ChatTemplate's specialTokens option, on every path that renders for a model)
//   conflict    when a tool and the model disagree, both are recorded and an explicit policy chooses
import type { Tool, ToolSet } from 'ai';

/** Phrases that address the agent rather than describe the world (each with the reason it is flagged). */
const INSTRUCTION_PATTERNS: [RegExp, string][] = [
  [
    /\b(ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(instructions?|rules|prompt|above|previous|prior|system)\b/i,
    'asks to ignore instructions',
  ],
  [
    /\b(you (must|should|will|are required to)|you're required to|from now on|new instructions?)\b/i,
    'gives the agent orders',
  ],
  [/\b(assistant|system|developer)\s*:/i, 'speaks as another role'],
  [/<\|?(im_start|im_end|endoftext|tool_call)\|?>|<\/?tool_call>/i, 'spells special tokens'],
  [/\b(call|use|run|invoke)\s+(the\s+)?(tool|function)\b/i, 'tells the agent to call a tool'],
  [
    /\b(reveal|print|send|leak|share)\b[^.!?\n]{0,30}\b(password|secret|key|token|credentials?|system prompt)\b/i,
    'asks for secrets',
  ],
  [/\b(do not|don't)\s+(tell|mention|reveal)\b/i, 'asks the agent to hide something'],
];

/** The reasons a text reads as instructions to the agent (none for plain data). */
export function instructionFlags(text: string): string[] {
  return INSTRUCTION_PATTERNS.filter(([re]) => re.test(text)).map(([, why]) => why);
}

/** A tool's result as the model receives it. */
export interface ProvenancedResult {
  tool: string;
  arguments: unknown;
  /** ISO time of the call. */
  at: string;
  data: unknown;
  /** Why parts of the result read as instructions; empty when none did. */
  flags: string[];
  /** Sentences withheld from `data` because they read as instructions. */
  withheld?: number;
}

export interface ProvenanceOptions {
  now?: () => Date;
  /** What happens to instruction-like sentences: withheld from the data (default) or only flagged. */
  injection?: 'withhold' | 'flag';
  /** Every wrapped result, as it was returned (a log of what the tools said). */
  onResult?: (r: ProvenancedResult) => void;
}

/** Splits into sentences and lines, keeping their ends. */
const sentences = (text: string) => text.match(/[^.!?\n]+[.!?\n]*/g) ?? [text];

/** Withholds instruction-like sentences from every string inside a value; counts them. */
function clean(value: unknown, withhold: boolean, flags: Set<string>): { value: unknown; withheld: number } {
  if (typeof value === 'string') {
    let withheld = 0;
    const kept = sentences(value).filter((s) => {
      const why = instructionFlags(s);
      for (const w of why) flags.add(w);
      if (why.length && withhold) withheld++;
      return !(why.length && withhold);
    });
    return { value: withheld ? kept.join('').trim() : value, withheld };
  }
  if (Array.isArray(value)) {
    const parts = value.map((v) => clean(v, withhold, flags));
    return { value: parts.map((p) => p.value), withheld: parts.reduce((s, p) => s + p.withheld, 0) };
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, clean(v, withhold, flags)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, p]) => [k, p.value])),
      withheld: entries.reduce((s, [, p]) => s + p.withheld, 0),
    };
  }
  return { value, withheld: 0 };
}

/** Tools whose results come wrapped (the same inputs). */
export type ProvenancedTools<T extends ToolSet> = {
  [K in keyof T]: T[K] extends Tool<infer I, infer _O> ? Tool<I, ProvenancedResult> : T[K];
};

/** The tools, each returning its result wrapped with provenance and checked for instructions. */
export function withProvenance<T extends ToolSet>(
  tools: T,
  options: ProvenanceOptions = {},
): ProvenancedTools<T> {
  const now = options.now ?? (() => new Date());
  const withhold = (options.injection ?? 'withhold') === 'withhold';
  const out: ToolSet = {};
  for (const [name, t] of Object.entries(tools)) {
    if (!t.execute) {
      out[name] = t;
      continue;
    }
    const execute = t.execute;
    out[name] = {
      ...t,
      execute: async (input: unknown, ctx: Parameters<typeof execute>[1]) => {
        const at = now().toISOString();
        const raw = await execute(input as never, ctx);
        const flags = new Set<string>();
        const { value, withheld } = clean(raw, withhold, flags);
        const result: ProvenancedResult = {
          tool: name,
          arguments: input,
          at,
          data: value,
          flags: [...flags],
        };
        if (withheld) result.withheld = withheld;
        options.onResult?.(result);
        return result;
      },
    } as ToolSet[string];
  }
  return out as ProvenancedTools<T>;
}

/** How a disagreement between a tool and the model is settled. */
export type ConflictPolicy =
  | { kind: 'prefer-tool' }
  | { kind: 'prefer-model' }
  | { kind: 'ask' }
  /** The model's own answer when its probability is at least `threshold`, else the tool's. */
  | { kind: 'confidence'; threshold: number };

export interface Conflict {
  tool: string;
  toolAnswer: string;
  modelAnswer: string;
  /** The model's probability of its own answer (e.g. greedy decoding's first token). */
  modelConfidence: number;
}

export interface Resolution extends Conflict {
  agree: boolean;
  /** What the agent goes with: the tool's answer, the model's, or null when it must ask. */
  chosen: string | null;
  by: 'agreement' | ConflictPolicy['kind'];
}

/** Records both answers and chooses by the policy (agreement needs no policy). */
export function resolveConflict(c: Conflict, policy: ConflictPolicy): Resolution {
  const agree = c.toolAnswer.trim().toLowerCase() === c.modelAnswer.trim().toLowerCase();
  if (agree) return { ...c, agree, chosen: c.toolAnswer, by: 'agreement' };
  switch (policy.kind) {
    case 'prefer-tool':
      return { ...c, agree, chosen: c.toolAnswer, by: policy.kind };
    case 'prefer-model':
      return { ...c, agree, chosen: c.modelAnswer, by: policy.kind };
    case 'ask':
      return { ...c, agree, chosen: null, by: policy.kind };
    case 'confidence':
      return {
        ...c,
        agree,
        chosen: c.modelConfidence >= policy.threshold ? c.modelAnswer : c.toolAnswer,
        by: policy.kind,
      };
  }
}
