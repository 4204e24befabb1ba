// The settings a mixer kind reads from the config's mixerOptions.<kind>: each kind declares them with their
// reference defaults and the values they take, so a misspelt or misplaced setting is an error naming it
// rather than silently ignored.
import type { LayerShape } from './options.js';

type Rule = 'a positive integer' | '0 or a positive integer' | 'a positive number';

export interface Setting {
  rule: Rule;
  /** The reference default, or a function of the layer's width and heads where it depends on them. */
  default: number | ((shape: LayerShape) => number);
}

export type SettingsSpec = Readonly<Record<string, Setting>>;
/** Every setting of a kind, resolved. */
export type Settings<S extends SettingsSpec> = { readonly [K in keyof S]: number };
/** What a config may give for a kind: any of its settings. */
export type SettingsInput<S extends SettingsSpec> = { readonly [K in keyof S]?: number };

export const positiveInt = (d: Setting['default']): Setting => ({ rule: 'a positive integer', default: d });
/** A size where 0 means "none" (e.g. no short convolution). */
export const count = (d: Setting['default']): Setting => ({ rule: '0 or a positive integer', default: d });
export const positive = (d: Setting['default']): Setting => ({ rule: 'a positive number', default: d });

const FOLLOWS: Record<Rule, (v: number) => boolean> = {
  'a positive integer': (v) => Number.isInteger(v) && v > 0,
  '0 or a positive integer': (v) => Number.isInteger(v) && v >= 0,
  'a positive number': (v) => Number.isFinite(v) && v > 0,
};

/** "its settings are a, b" or "it has none", for errors. */
function settingsList(spec: SettingsSpec): string {
  const names = Object.keys(spec);
  return names.length ? `its settings are ${names.join(', ')}` : 'it has no settings';
}

/** The given settings over the defaults, each checked; throws naming the first unknown or bad one. */
export function resolveSettings<S extends SettingsSpec>(
  kind: string,
  spec: S,
  given: Readonly<Record<string, unknown>>,
  shape: LayerShape,
): Settings<S> {
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(spec, key)) {
      throw new Error(`${kind}: unknown setting "${key}" (${settingsList(spec)})`);
    }
  }
  const out: Record<string, number> = {};
  for (const [key, s] of Object.entries(spec)) {
    const value = given[key] ?? (typeof s.default === 'function' ? s.default(shape) : s.default);
    if (typeof value !== 'number' || !FOLLOWS[s.rule](value)) {
      throw new Error(`${kind}: setting ${key} must be ${s.rule}, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out as Settings<S>;
}
