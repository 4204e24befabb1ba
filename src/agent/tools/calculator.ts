// Arithmetic the model should not do in its head: + - * / ^ %, parentheses, unary minus, decimals. A
// small recursive-descent parser, never eval: the expression comes from a model.
import { CALCULATOR_TOOL } from '../../data/index.js';
import { manualTool } from './manual.js';

/** The value of an arithmetic expression; an error says where it stops making sense. */
export function evaluate(expression: string): number {
  const src = expression.replace(/\s+/g, '');
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`calculator: ${what} at position ${at} of ${JSON.stringify(expression)}`);
  };
  const number = (): number => {
    const m = /^\d+(\.\d+)?([eE][-+]?\d+)?|^\.\d+/.exec(src.slice(at));
    if (!m) return fail('expected a number');
    at += m[0].length;
    return Number(m[0]);
  };
  const atom = (): number => {
    if (src[at] === '-') {
      at++;
      return -atom();
    }
    if (src[at] === '(') {
      at++;
      const v = sum();
      if (src[at] !== ')') fail('expected ")"');
      at++;
      return v;
    }
    return number();
  };
  const power = (): number => {
    const base = atom();
    if (src[at] !== '^') return base;
    at++;
    return base ** power(); // right-associative
  };
  const product = (): number => {
    let v = power();
    while (src[at] === '*' || src[at] === '/' || src[at] === '%') {
      const op = src[at++];
      const r = power();
      v = op === '*' ? v * r : op === '/' ? v / r : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (src[at] === '+' || src[at] === '-') {
      const op = src[at++];
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  if (src.length === 0) fail('empty expression');
  if (src.length > 1000) fail('expression too long');
  const value = sum();
  if (at < src.length) fail(`unexpected "${src[at]}"`);
  if (!Number.isFinite(value)) fail('the result is not a finite number');
  return value;
}

// The manual the world's arithmetic chats teach (src/data), so a model trained on them sees its prompt.
export const calculator = manualTool<{ expression: string }>(CALCULATOR_TOOL, ({ expression }) =>
  evaluate(expression),
);
