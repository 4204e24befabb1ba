// The training options and trainer.json's state, as schemas: the options a run is given and the state a
// resumed run trusts are checked field by field (types, ranges), with errors naming the field.
import { z } from 'zod';
import { describeIssue } from '../model/index.js';

const count = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: `must be an integer >= ${min}` })
    .int({ error: `must be an integer >= ${min}` })
    .min(min, { error: `must be an integer >= ${min}` })
    .max(max, { error: `must be an integer up to ${max}` });
const nonNegative = z.number({ error: 'must be a number >= 0' }).min(0, { error: 'must be a number >= 0' });
const fraction = z
  .number({ error: 'must be in [0, 1)' })
  .min(0, { error: 'must be in [0, 1)' })
  .lt(1, { error: 'must be in [0, 1)' });
/** Batches far beyond what fits in memory are refused before anything is allocated for them. */
const MAX_BATCH = 2 ** 16;

export const TRAIN_OPTIONS_SCHEMA = z.strictObject(
  {
    maxIters: count(1),
    batchSize: count(1, MAX_BATCH),
    blockSize: count(1),
    lr: nonNegative,
    minLr: nonNegative,
    warmupIters: count(0),
    decayIters: count(1).optional(),
    weightDecay: nonNegative,
    beta1: fraction,
    beta2: fraction,
    gradClip: nonNegative,
    gradAccum: count(1, MAX_BATCH),
    evalInterval: count(1),
    evalIters: count(1, MAX_BATCH),
    seed: count(0),
    outDir: z.string({ error: 'must be a folder or null' }).nullable(),
  },
  { error: 'must be the training options' },
);

export type TrainOptions = z.infer<typeof TRAIN_OPTIONS_SCHEMA>;

const u32 = count(0, 2 ** 32 - 1);
/**
 * A Generator's state: four 32-bit words (not all zero: xoshiro would stay at zero) and a spare normal,
 * which JSON writes as null when there is none (NaN).
 */
const GENERATOR_STATE = z
  .tuple([u32, u32, u32, u32, z.number().nullable()], {
    error: 'must be a generator state [4 words, spare]',
  })
  .refine((s) => s.slice(0, 4).some((w) => w !== 0), { error: 'must not be all zero' })
  .transform((s): number[] => s.map((v) => v ?? Number.NaN));

/** trainer.json; other fields (the CLI's data source) pass through for their owners to check. */
export const TRAINER_STATE_SCHEMA = z.looseObject(
  {
    iter: count(0),
    elapsed: nonNegative,
    sampler: z.strictObject(
      { generator: GENERATOR_STATE, tokens: count(0), blockSize: count(1), batchSize: count(1, MAX_BATCH) },
      { error: 'must be a batch sampler state' },
    ),
    dropout: GENERATOR_STATE,
    options: TRAIN_OPTIONS_SCHEMA,
  },
  { error: 'must be a JSON object' },
);

export type TrainerState = z.infer<typeof TRAINER_STATE_SCHEMA>;

/** `raw` checked against `schema`; errors start with `source` and name the field. */
export function checked<T>(schema: z.ZodType<T>, raw: unknown, source: string, whole: string): T {
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new Error(`${source}: ${describeIssue(parsed.error.issues[0], whole)}`);
  return parsed.data;
}
