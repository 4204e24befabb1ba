// The Tensor: float32 storage in a plain Float32Array, row-major, always contiguous. Views that would need
// strides (permute, slice) copy instead; matmul takes transpose flags so the hot path never copies.
import { type Node, runBackward } from './autograd.js';
import * as E from './ops/elementwise.js';
import * as I from './ops/indexing.js';
import * as M from './ops/matmul.js';
import * as N from './ops/nn.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape.js';
import { checkShape, fmt, numel, type Shape } from './shape.js';

export type NestedArray = number | NestedArray[];
type Operand = Tensor | number;

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;
  /** True for leaves the user marks and for every output computed from them. */
  requiresGrad = false;
  /** Filled by backward() on leaves (and on tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for a leaf. */
  gradFn: Node | null = null;
  retainsGrad = false;

  constructor(data: Float32Array, shape: Shape) {
    checkShape('Tensor', shape);
    if (data.length !== numel(shape)) {
      throw new Error(
        `Tensor: ${data.length} values cannot have shape ${fmt(shape)} (${numel(shape)} elements)`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get ndim(): number {
    return this.shape.length;
  }

  numel(): number {
    return this.data.length;
  }

  /** Size of one dim (negative counts from the end), or the whole shape. */
  size(dim: number): number;
  size(): Shape;
  size(dim?: number): number | Shape {
    if (dim === undefined) return this.shape;
    return this.shape[S.dimIndex('size', dim, this.ndim)];
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1)
      throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.data.length} elements`);
    return this.data[0];
  }

  /** Nested JS arrays, like torch's tolist(). */
  tolist(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.ndim) return this.data[offset];
      const inner = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * inner));
    };
    return build(0, 0);
  }

  /** Marks a leaf as needing gradients; returns this for chaining (torch's requires_grad_). */
  requiresGrad_(on = true): this {
    if (this.gradFn) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad');
    this.requiresGrad = on;
    return this;
  }

  /** Keep .grad on this non-leaf tensor after backward (torch's retain_grad). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Backpropagates from this tensor; a non-scalar needs the gradient of the output. */
  backward(gradient?: Tensor): void {
    if (!gradient && this.data.length !== 1) {
      throw new Error(`backward: output of shape ${fmt(this.shape)} is not a scalar; pass its gradient`);
    }
    const g = gradient ?? new Tensor(new Float32Array([1]), this.shape);
    if (g.data.length !== this.data.length) {
      throw new Error(`backward: gradient ${fmt(g.shape)} does not match output ${fmt(this.shape)}`);
    }
    runBackward(this, g);
  }

  /** Same storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy that owns fresh storage (still cut from the graph). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** New tensor of the same shape over other storage; no graph. For ops and optimizers. */
  withData(data: Float32Array): Tensor {
    return new Tensor(data, this.shape);
  }

  /** Same storage seen under another shape of equal size; no graph. For ops. */
  withShape(shape: Shape): Tensor {
    return new Tensor(this.data, shape);
  }

  toString(): string {
    const grad = this.gradFn ? `, grad_fn=${this.gradFn.name}` : this.requiresGrad ? ', requires_grad' : '';
    const values = this.data.length <= 64 ? JSON.stringify(this.tolist()) : `${this.data.length} values`;
    return `tensor(${values}, shape=${fmt(this.shape)}${grad})`;
  }

  // Method forms of the functional ops, as in PyTorch (x.add(y) is add(x, y)).
  add(o: Operand): Tensor {
    return E.add(this, o);
  }
  sub(o: Operand): Tensor {
    return E.sub(this, o);
  }
  mul(o: Operand): Tensor {
    return E.mul(this, o);
  }
  div(o: Operand): Tensor {
    return E.div(this, o);
  }
  pow(o: Operand): Tensor {
    return E.pow(this, o);
  }
  neg(): Tensor {
    return E.neg(this);
  }
  exp(): Tensor {
    return E.exp(this);
  }
  log(): Tensor {
    return E.log(this);
  }
  sqrt(): Tensor {
    return E.sqrt(this);
  }
  tanh(): Tensor {
    return E.tanh(this);
  }
  sigmoid(): Tensor {
    return E.sigmoid(this);
  }
  relu(): Tensor {
    return E.relu(this);
  }
  matmul(o: Tensor): Tensor {
    return M.matmul(this, o);
  }
  sum(dim?: number | number[], keepdim = false): Tensor {
    return R.sum(this, dim, keepdim);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return R.mean(this, dim, keepdim);
  }
  max(dim?: number, keepdim = false): Tensor {
    return R.max(this, dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): IntTensor {
    return R.argmax(this, dim, keepdim);
  }
  softmax(dim = -1): Tensor {
    return N.softmax(this, dim);
  }
  reshape(...shape: number[]): Tensor {
    return S.reshape(this, shape);
  }
  view(...shape: number[]): Tensor {
    return S.reshape(this, shape);
  }
  permute(...dims: number[]): Tensor {
    return S.permute(this, dims);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  }
  unsqueeze(dim: number): Tensor {
    return S.unsqueeze(this, dim);
  }
  squeeze(dim?: number): Tensor {
    return S.squeeze(this, dim);
  }
  expand(...shape: number[]): Tensor {
    return S.expand(this, shape);
  }
  gather(dim: number, index: IntTensor): Tensor {
    return I.gather(this, dim, index);
  }
}

/** Integer tensor for indices (token ids, targets, gather indices). Never carries gradients. */
export class IntTensor {
  readonly data: Int32Array;
  readonly shape: Shape;

  constructor(data: Int32Array, shape: Shape = [data.length]) {
    checkShape('IntTensor', shape);
    if (data.length !== numel(shape)) {
      throw new Error(`IntTensor: ${data.length} values cannot have shape ${fmt(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get ndim(): number {
    return this.shape.length;
  }

  reshape(...shape: number[]): IntTensor {
    return new IntTensor(this.data, S.inferShape('reshape', shape, this.data.length));
  }

  tolist(): NestedArray {
    return new Tensor(Float32Array.from(this.data), this.shape).tolist();
  }
}
