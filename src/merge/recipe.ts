// A merge recipe in mergekit's YAML: which method, which base, which models with which parameters, and
// optionally slices of layers. Read and checked here, every error naming the file and the field, so a
// recipe that mergekit runs runs here, and one with a typo stops before any tensor is read:
//   merge_method: ties
//   base_model: out/base
//   models:
//     - model: out/math
//       parameters: { weight: 0.5, density: 0.5 }
//     - model: out/chat
//       parameters:
//         weight: [{ filter: mlp, value: 0.7 }, { value: 0.3 }]   # per-parameter filters
//         density: [0.2, 0.8]                                      # a gradient over the layers
//   parameters: { normalize: true }
// A parameter is a number, a gradient (numbers spread evenly over the layers and interpolated), or a
// list of { filter, value } whose first filter found in the tensor's name wins (no filter: the default).
import { parse } from 'yaml';
import { z } from 'zod';

export const MERGE_METHODS = [
  'linear',
  'task_arithmetic',
  'ties',
  'dare_linear',
  'dare_ties',
  'slerp',
  'breadcrumbs',
  'della',
  'model_stock',
  'passthrough',
] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];
/** The methods that take models as they are; every other merges task vectors into a base model. */
export const BASELESS: readonly MergeMethod[] = ['linear', 'passthrough'];

const number = z.number().finite();
const gradient = z.array(number).min(1);
const filtered = z
  .array(z.strictObject({ filter: z.string().min(1).optional(), value: z.union([number, gradient]) }))
  .min(1);
export const PARAMETER = z.union([number, gradient, filtered]);
export type Parameter = z.infer<typeof PARAMETER>;

const PARAMETERS = z.record(z.string(), PARAMETER);
const MODEL = z.strictObject({ model: z.string().min(1), parameters: PARAMETERS.optional() });
const SLICE = z.strictObject({
  sources: z
    .array(
      z.strictObject({
        model: z.string().min(1),
        layer_range: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
        parameters: PARAMETERS.optional(),
      }),
    )
    .min(1),
});

export const RECIPE_SCHEMA = z
  .strictObject({
    merge_method: z.enum(MERGE_METHODS),
    base_model: z.string().min(1).optional(),
    models: z.array(MODEL).min(1).optional(),
    slices: z.array(SLICE).min(1).optional(),
    parameters: PARAMETERS.optional(),
    dtype: z.enum(['float32', 'float16', 'bfloat16']).optional(),
    tokenizer_source: z.string().optional(),
  })
  .refine((r) => (r.models ? !r.slices : !!r.slices), { message: 'give models or slices, one of the two' })
  .refine((r) => BASELESS.includes(r.merge_method) || r.base_model !== undefined, {
    message: 'every method but linear and passthrough merges into a base model: give base_model',
  });
export type Recipe = z.infer<typeof RECIPE_SCHEMA>;

/** A recipe from YAML text; `file` names it in errors. */
export function parseRecipe(text: string, file: string): Recipe {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const r = RECIPE_SCHEMA.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue.path.length ? issue.path.join('.') : 'the recipe';
    throw new Error(`${file}: ${at}: ${issue.message}`);
  }
  return r.data;
}

/**
 * A parameter's value for one tensor: a gradient read at `layerFraction` (0 for the first layer, 1 for the
 * last; tensors outside the layers read its start), a filtered list by the first filter in `tensorName`.
 */
export function resolveParameter(p: Parameter, tensorName: string, layerFraction = 0): number {
  if (typeof p === 'number') return p;
  if (p.every((x) => typeof x === 'number')) return interpolate(p as number[], layerFraction);
  const entries = p as { filter?: string; value: number | number[] }[];
  const hit =
    entries.find((e) => e.filter !== undefined && tensorName.includes(e.filter)) ??
    entries.find((e) => e.filter === undefined);
  if (!hit) throw new Error(`no value of the parameter fits ${tensorName} (and none without a filter)`);
  return typeof hit.value === 'number' ? hit.value : interpolate(hit.value, layerFraction);
}

function interpolate(points: readonly number[], at: number): number {
  if (points.length === 1) return points[0];
  const x = Math.min(1, Math.max(0, at)) * (points.length - 1);
  const i = Math.min(points.length - 2, Math.floor(x));
  return points[i] + (x - i) * (points[i + 1] - points[i]);
}
