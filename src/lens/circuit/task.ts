// The behaviour a circuit must keep, and how well a circuit keeps it: prompts whose next token is known,
// compared with the full model at the prompt's last position.
import type { Fact } from '../../data/index.js';
import type { LanguageModel } from '../../model/index.js';
import { IntTensor, logSoftmax, mul, noGrad, reshape, slice, sub, sum, Tensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { checkFacts } from '../known-facts.js';
import type { CircuitGraph } from './graph.js';
import { type CircuitAblation, type CircuitMasks, constantMasks, runCircuit } from './masked.js';

export interface CircuitTask {
  name: string;
  /** Each prompt's tokens and the token that should follow. */
  prompts: { ids: number[]; answer: number }[];
}

/** The facts the model recalls (greedy, every answer token), as prompts and their answers' first tokens. */
export function factRecallTask(
  model: LanguageModel,
  tokenizer: Tokenizer,
  facts: readonly Fact[],
  name = facts[0]?.relation ?? 'facts',
): CircuitTask {
  const prompts = checkFacts(model, tokenizer, facts)
    .filter((c) => c.known)
    .map((c) => ({ ids: c.promptIds, answer: c.answerIds[0] }));
  if (prompts.length === 0) throw new Error(`factRecallTask: the model recalls none of the ${name} facts`);
  return { name, prompts };
}

/** A task's prompts batched by length, with the full model's log-probabilities at the last position. */
export interface TaskBatch {
  ids: IntTensor;
  answers: number[];
  /** log p of the full model at the last position, [B, V]. */
  fullLogProbs: Tensor;
}

export function taskBatches(model: LanguageModel, task: CircuitTask): TaskBatch[] {
  if (task.prompts.length === 0) throw new Error(`circuit task ${task.name}: no prompts`);
  const byLength = new Map<number, CircuitTask['prompts']>();
  for (const p of task.prompts) {
    if (p.ids.length === 0 || p.ids.length > model.config.blockSize) {
      throw new Error(
        `circuit task ${task.name}: a prompt of ${p.ids.length} tokens (context ${model.config.blockSize})`,
      );
    }
    byLength.set(p.ids.length, [...(byLength.get(p.ids.length) ?? []), p]);
  }
  return [...byLength.values()].map((ps) => {
    const T = ps[0].ids.length;
    const ids = new IntTensor(Int32Array.from(ps.flatMap((p) => p.ids)), [ps.length, T]);
    const fullLogProbs = noGrad(() => lastLogProbs(model.forward(ids)));
    return { ids, answers: ps.map((p) => p.answer), fullLogProbs };
  });
}

/** log-softmax of the logits at the last position: [B, T, V] -> [B, V]. */
export function lastLogProbs(logits: Tensor): Tensor {
  const [B, T, V] = logits.shape;
  return logSoftmax(reshape(slice(logits, 1, T - 1, T), [B, V]), -1);
}

/** KL(full || circuit) summed over a batch (differentiable in the circuit's log-probabilities). */
export function klSum(full: Tensor, circuit: Tensor): Tensor {
  const p = new Tensor(full.data.map(Math.exp), [...full.shape]);
  return sum(mul(p, sub(full, circuit)));
}

export interface CircuitScore {
  /** Mean KL(full || circuit) at the last position. */
  kl: number;
  /** Share of prompts whose top token is the answer. */
  accuracy: number;
  /** Mean log p(answer). */
  logProb: number;
  /**
   * (logProb - logProb of the empty circuit) / (logProb of the model - that): 1 keeps the behaviour, 0 is no
   * better than ablating everything.
   */
  faithfulness: number;
  /** Share of edges, mixer units and neurons kept (mask > 0.5). */
  kept: { edges: number; units: number; neurons: number };
}

/** Scores circuits on a task against the full model and the empty circuit (computed once). */
export class CircuitScorer {
  readonly batches: TaskBatch[];
  private readonly full: number;
  private readonly empty: number;
  readonly prompts: number;

  constructor(
    readonly model: LanguageModel,
    readonly task: CircuitTask,
    readonly graph: CircuitGraph,
    readonly ablation: CircuitAblation,
  ) {
    this.batches = taskBatches(model, task);
    this.prompts = task.prompts.length;
    this.full = this.batches.reduce((s, b) => s + answerLogProb(b.fullLogProbs, b.answers), 0) / this.prompts;
    this.empty = this.measure(constantMasks(graph, 0)).logProb;
  }

  /** Mean KL over the task (no gradient). */
  kl(masks: CircuitMasks): number {
    return this.measure(masks).kl;
  }

  score(masks: CircuitMasks): CircuitScore {
    const m = this.measure(masks);
    const share = (ts: Tensor[]) => {
      let kept = 0;
      let n = 0;
      for (const t of ts) {
        n += t.data.length;
        for (const v of t.data) if (v > 0.5) kept++;
      }
      return n ? kept / n : 1;
    };
    return {
      ...m,
      faithfulness: (m.logProb - this.empty) / (this.full - this.empty || 1),
      kept: { edges: share([masks.edges]), units: share(masks.units), neurons: share(masks.neurons) },
    };
  }

  private measure(masks: CircuitMasks): { kl: number; accuracy: number; logProb: number } {
    let kl = 0;
    let right = 0;
    let logProb = 0;
    noGrad(() => {
      for (const b of this.batches) {
        const lp = lastLogProbs(runCircuit(this.model, b.ids, this.graph, masks, this.ablation));
        kl += klSum(b.fullLogProbs, lp).data[0];
        logProb += answerLogProb(lp, b.answers);
        const V = lp.shape[1];
        b.answers.forEach((a, i) => {
          const row = lp.data.subarray(i * V, (i + 1) * V);
          let best = 0;
          for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
          if (best === a) right++;
        });
      }
    });
    return { kl: kl / this.prompts, accuracy: right / this.prompts, logProb: logProb / this.prompts };
  }
}

function answerLogProb(lp: Tensor, answers: readonly number[]): number {
  const V = lp.shape[1];
  return answers.reduce((s, a, i) => s + lp.data[i * V + a], 0);
}
