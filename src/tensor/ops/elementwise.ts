// Pointwise ops with broadcasting. Each op: forward through the backend, then its backward beside it.
import { type BinaryOp, stridedDims, type UnaryOp } from '../../backend/backend.js';
import { backend } from '../../backend/index.js';
import { record } from '../autograd.js';
import { broadcastShapes, broadcastStrides, numel, type Shape, sameShape } from '../shape.js';
import { uninitialized } from '../storage.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';

export type Operand = Tensor | number;

export function scalar(value: number): Tensor {
  return new Tensor(new Float32Array([value]), []);
}

function asTensor(x: Operand): Tensor {
  return typeof x === 'number' ? scalar(x) : x;
}

/**
 * The binary kernel's dims: broadcast strides with adjacent dims merged wherever both operands walk them
 * contiguously, so the common cases (same shape, bias over rows, scalar) reach the kernel as one or two
 * flat loops.
 */
export function broadcastDims(out: Shape, a: Shape, b: Shape): Int32Array {
  const as = broadcastStrides(a, out);
  const bs = broadcastStrides(b, out);
  const layout = { shape: [] as number[], aStrides: [] as number[], bStrides: [] as number[] };
  for (let d = 0; d < out.length; d++) {
    if (out[d] === 1) continue;
    const last = layout.shape.length - 1;
    const merges =
      last >= 0 && layout.aStrides[last] === as[d] * out[d] && layout.bStrides[last] === bs[d] * out[d];
    if (merges) {
      layout.shape[last] *= out[d];
      layout.aStrides[last] = as[d];
      layout.bStrides[last] = bs[d];
    } else {
      layout.shape.push(out[d]);
      layout.aStrides.push(as[d]);
      layout.bStrides.push(bs[d]);
    }
  }
  return stridedDims(layout.shape, layout.aStrides, layout.bStrides);
}

/** Forward only: the broadcast result of a binary op, no graph. */
function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(op, a.shape, b.shape);
  const out = uninitialized(numel(shape));
  backend().binary(op, a.data, b.data, out, broadcastDims(shape, a.shape, b.shape));
  return new Tensor(out, shape);
}

export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('add', x, y);
  return record('add', out, [x, y], (g) => [sumTo(g, x.shape), sumTo(g, y.shape)]);
}

export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('sub', x, y);
  return record('sub', out, [x, y], (g) => [
    sumTo(g, x.shape),
    y.requiresGrad ? sumTo(neg(g), y.shape) : null,
  ]);
}

export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('mul', x, y);
  return record('mul', out, [x, y], (g) => [
    x.requiresGrad ? sumTo(mul(g, y), x.shape) : null,
    y.requiresGrad ? sumTo(mul(g, x), y.shape) : null,
  ]);
}

export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('div', x, y);
  // d(x/y)/dy = -x/y^2 = -out/y
  return record('div', out, [x, y], (g) => [
    x.requiresGrad ? sumTo(div(g, y), x.shape) : null,
    y.requiresGrad ? sumTo(neg(mul(g, div(out, y))), y.shape) : null,
  ]);
}

export function pow(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('pow', x, y);
  // d(x^y)/dx = y x^(y-1); d(x^y)/dy = x^y log x
  return record('pow', out, [x, y], (g) => [
    x.requiresGrad ? sumTo(mul(g, mul(y, pow(x, sub(y, 1)))), x.shape) : null,
    y.requiresGrad ? sumTo(mul(g, mul(out, log(x))), y.shape) : null,
  ]);
}

/** Elementwise max; where they tie the gradient goes to the first operand. */
export function maximum(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('maximum', x, y);
  return record('maximum', out, [x, y], (g) => {
    const takeX = binaryKernel('ge', x, y);
    return [
      x.requiresGrad ? sumTo(mul(g, takeX), x.shape) : null,
      y.requiresGrad ? sumTo(mul(g, sub(1, takeX)), y.shape) : null,
    ];
  });
}

/** Elementwise min; where they tie the gradient goes to the first operand. */
export function minimum(a: Operand, b: Operand): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryKernel('minimum', x, y);
  return record('minimum', out, [x, y], (g) => {
    const takeX = binaryKernel('le', x, y);
    return [
      x.requiresGrad ? sumTo(mul(g, takeX), x.shape) : null,
      y.requiresGrad ? sumTo(mul(g, sub(1, takeX)), y.shape) : null,
    ];
  });
}

/** Comparisons give 1 where true and 0 where false; they have no gradient. */
export const eq = (a: Operand, b: Operand): Tensor => binaryKernel('eq', asTensor(a), asTensor(b));
export const ne = (a: Operand, b: Operand): Tensor => binaryKernel('ne', asTensor(a), asTensor(b));
export const lt = (a: Operand, b: Operand): Tensor => binaryKernel('lt', asTensor(a), asTensor(b));
export const le = (a: Operand, b: Operand): Tensor => binaryKernel('le', asTensor(a), asTensor(b));
export const gt = (a: Operand, b: Operand): Tensor => binaryKernel('gt', asTensor(a), asTensor(b));
export const ge = (a: Operand, b: Operand): Tensor => binaryKernel('ge', asTensor(a), asTensor(b));

/** A pointwise function f: forward and the fused derivative kernel gx = gy * f'(x). */
function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const out = uninitialized(x.data.length);
  backend().unary(op, x.data, out);
  return record(op, new Tensor(out, x.shape), [x], (g) => {
    const gx = uninitialized(x.data.length);
    backend().unaryGrad(op, x.data, g.data, gx);
    return [new Tensor(gx, x.shape)];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
/** GELU; approximate 'tanh' is GPT-2's form, 'none' the exact x * Phi(x) (as torch.nn.functional.gelu). */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  unaryOp(approximate === 'tanh' ? 'gelu_tanh' : 'gelu', x);
export const silu = (x: Tensor): Tensor => unaryOp('silu', x);
/** log(1 + e^x), linear above 20 as in PyTorch. */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const sin = (x: Tensor): Tensor => unaryOp('sin', x);
export const cos = (x: Tensor): Tensor => unaryOp('cos', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
