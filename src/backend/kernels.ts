// Every kernel's signature, written once. The Backend interface and each kernel family's type come from
// here; so do the native bindings (native/src/generated/, written by `npm run gen:bindings`), which check
// every argument against these lists before any kernel runs: integers in range, products that do not
// overflow, buffers at least `len` long, outputs that overlap nothing else. Arguments are listed in the
// order the kernels take them in both languages.
import {
  f32,
  f32InOut,
  f32OrNull,
  f32Out,
  f32OutInPlace,
  f32Sized,
  flag,
  float,
  i32,
  i32Out,
  int,
  type KernelSpec,
  long,
  op,
  size,
} from './signature.js';

export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'gelu_tanh',
  'silu',
  'softplus',
  'abs',
  'sin',
  'cos',
  'square',
  'reciprocal',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

const rows = (x: string, len = 'rows * cols') => f32(x, len);
const rowsOut = (x: string, len = 'rows * cols') => f32Out(x, len);
const axis = (doc: string, outLen: string) =>
  ({
    args: [
      f32('x', 'outer * size * inner'),
      f32Out('out', outLen),
      long('outer'),
      long('size'),
      long('inner'),
    ],
    doc,
  }) as const satisfies KernelSpec;
const rowwise = (doc: string) =>
  ({ args: [rows('x'), rowsOut('out'), long('rows'), long('cols')], doc }) as const satisfies KernelSpec;
const rowwiseGrad = (doc: string) =>
  ({
    args: [rows('y'), rows('gy'), rowsOut('gx'), long('rows'), long('cols')],
    doc,
  }) as const satisfies KernelSpec;
const targets = i32('targets', 'rows', { below: 'cols', except: 'ignoreIndex' });
const qkv = 'batch * seq * 3 * heads * headDim';
const heads = 'batch * seq * heads * headDim';
const attentionSizes = [size('batch'), size('seq'), size('heads'), size('headDim')] as const;

/** The core kernels: what every backend implements (js readably, native fast). */
export const CORE = {
  gemm: {
    doc:
      'c[i] = alpha * op(a[i]) @ op(b[i]) + beta * c[i] for i < batch, row-major; op(a) is m x k (a stored k x m ' +
      'when transA), op(b) is k x n (b stored n x k when transB); a stride of 0 reuses that operand for every ' +
      "batch entry; beta = 0 ignores c's old contents",
    named: true,
    args: [
      size('batch'),
      size('m'),
      size('n'),
      size('k'),
      flag('transA'),
      flag('transB'),
      float('alpha'),
      float('beta'),
      f32('a', 'matrix(batch, strideA, transA ? k : m, transA ? m : k, lda)'),
      size('lda'),
      long('strideA'),
      f32('b', 'matrix(batch, strideB, transB ? n : k, transB ? k : n, ldb)'),
      size('ldb'),
      long('strideB'),
      f32InOut('c', 'matrix(batch, strideC, m, n, ldc)'),
      size('ldc'),
      long('strideC'),
    ],
    checks: [
      [
        'lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n',
        'leading dimension smaller than a row',
      ],
      ['batch < 2 || strideC >= matrix(1, 0, m, n, ldc)', 'the batch entries of c overlap'],
    ],
  },
  unary: {
    doc: 'out = f(x) elementwise',
    args: [op('op', UNARY_OPS, 'UnaryOp', 'U_'), f32Sized('x', 'n'), f32Out('out', 'n')],
  },
  unaryGrad: {
    doc: "gx = gy * f'(x)",
    args: [op('op', UNARY_OPS, 'UnaryOp', 'U_'), f32Sized('x', 'n'), f32('gy', 'n'), f32Out('gx', 'n')],
  },
  binary: {
    doc:
      'out = a op b, broadcasting: dims = [rank, ...shape, ...aStrides, ...bStrides], out contiguous over ' +
      'shape, a and b read at their strides (0 on broadcast dims)',
    args: [
      op('op', BINARY_OPS, 'BinaryOp', 'B_'),
      f32('a', 'strided(dims, 2, 0, 0)'),
      f32('b', 'strided(dims, 2, 1, 0)'),
      f32Out('out', 'count(dims, 2)'),
      i32('dims', '1'),
    ],
  },
  copyStrided: {
    doc:
      'Strided gather into a contiguous out: out[i0, i1, ...] = x[offset + i0 * strides[0] + ...], with ' +
      'dims = [rank, ...shape, ...strides]; permute, expand (stride 0) and slicing are all this one kernel',
    args: [
      f32('x', 'strided(dims, 1, 0, offset)'),
      f32Out('out', 'count(dims, 1)'),
      i32('dims', '1'),
      long('offset'),
    ],
  },
  sumAxis: axis('out[o, i] = sum over r of x[o, r, i]', 'outer * inner'),
  maxAxis: {
    doc: 'out[o, i] = max over r of x[o, r, i]; argmax holds the first r that attains it',
    args: [
      f32('x', 'outer * size * inner'),
      f32Out('out', 'outer * inner'),
      i32Out('argmax', 'outer * inner'),
      long('outer'),
      long('size'),
      long('inner'),
    ],
    checks: [['size > 0 || outer * inner == 0', 'cannot reduce over an empty dim']],
  },
  logsumexpAxis: axis('out[o, i] = log sum over r of exp(x[o, r, i]), computed stably', 'outer * inner'),
  cumsumAxis: axis('out[o, r, i] = sum over s <= r of x[o, s, i]', 'outer * size * inner'),
  softmax: rowwise('softmax over the last dim of a rows x cols matrix'),
  softmaxGrad: rowwiseGrad('gx = y * (gy - sum(y * gy)) per row'),
  logSoftmax: rowwise('log-softmax over the last dim'),
  logSoftmaxGrad: rowwiseGrad('gx = gy - exp(y) * sum(gy) per row'),
  crossEntropy: {
    doc: 'loss[r] = lse[r] - x[r, t[r]] (0 where t[r] == ignoreIndex); lse[r] = log sum exp x[r, :]',
    args: [
      rows('logits'),
      targets,
      long('rows'),
      long('cols'),
      int('ignoreIndex'),
      f32Out('loss', 'rows'),
      f32Out('lse', 'rows'),
    ],
  },
  crossEntropyGrad: {
    doc: 'gx[r, c] = gLoss[r] * (softmax(x[r])[c] - [c == t[r]]), zero rows where t[r] == ignoreIndex',
    args: [
      rows('logits'),
      targets,
      f32('lse', 'rows'),
      f32('gLoss', 'rows'),
      long('rows'),
      long('cols'),
      int('ignoreIndex'),
      rowsOut('gx'),
    ],
  },
  layerNorm: {
    doc: 'y = (x - mean) * rstd * weight + bias over the last dim; saves mean and rstd per row',
    args: [
      rows('x'),
      f32OrNull('weight', 'cols'),
      f32OrNull('bias', 'cols'),
      long('rows'),
      long('cols'),
      float('eps'),
      rowsOut('out'),
      f32Out('mean', 'rows'),
      f32Out('rstd', 'rows'),
    ],
  },
  layerNormGrad: {
    doc: 'writes gx; adds into gw and gb when given (so the caller can zero-fill them)',
    args: [
      rows('x'),
      f32OrNull('weight', 'cols'),
      f32('mean', 'rows'),
      f32('rstd', 'rows'),
      rows('gy'),
      long('rows'),
      long('cols'),
      rowsOut('gx'),
      f32OrNull('gw', 'cols', 'inout'),
      f32OrNull('gb', 'cols', 'inout'),
    ],
  },
  rmsNorm: {
    doc: 'y = x * rstd * weight, rstd = 1 / sqrt(mean(x^2) + eps) over the last dim',
    args: [
      rows('x'),
      f32OrNull('weight', 'cols'),
      long('rows'),
      long('cols'),
      float('eps'),
      rowsOut('out'),
      f32Out('rstd', 'rows'),
    ],
  },
  rmsNormGrad: {
    doc: 'writes gx; adds into gw when given',
    args: [
      rows('x'),
      f32OrNull('weight', 'cols'),
      f32('rstd', 'rows'),
      rows('gy'),
      long('rows'),
      long('cols'),
      rowsOut('gx'),
      f32OrNull('gw', 'cols', 'inout'),
    ],
  },
  causalAttention: {
    doc:
      'Causal self-attention straight from the fused projection qkv [B, T, 3 * H * D] (q, k, v side by side, ' +
      'heads interleaved as c_attn lays them out) into out [B, T, H * D]; saves lse [B, H, T], the log-sum-exp ' +
      "of each row's scores, so backward can rebuild the probabilities without storing them",
    args: [
      f32('qkv', qkv),
      f32Out('out', heads),
      f32Out('lse', 'batch * heads * seq'),
      ...attentionSizes,
      float('scale'),
    ],
  },
  causalAttentionGrad: {
    doc: 'writes gqkv (the layout of qkv) from gy (the layout of out)',
    args: [
      f32('qkv', qkv),
      f32('out', heads),
      f32('lse', 'batch * heads * seq'),
      f32('gy', heads),
      f32Out('gqkv', qkv),
      ...attentionSizes,
      float('scale'),
    ],
  },
  cachedAttention: {
    doc:
      "Attention for generation with a KV cache: appends this step's k and v to kCache/vCache [B, H, capacity, D] " +
      'at positions pos..pos+T-1, then attends each new query to every cached position up to its own',
    args: [
      f32('qkv', qkv),
      f32InOut('kCache', 'batch * heads * capacity * headDim'),
      f32InOut('vCache', 'batch * heads * capacity * headDim'),
      f32Out('out', heads),
      ...attentionSizes,
      size('pos'),
      size('capacity'),
      float('scale'),
    ],
    checks: [['pos + seq <= capacity', 'the cache is full']],
  },
  rope: {
    doc:
      'Rotary position embedding (rotate-half form) on the first rotatedHeads heads of each row of x ' +
      '[B, T, rowWidth], in place, with cos/sin tables [positions, D/2]; inverse turns back (backward)',
    args: [
      f32InOut('x', 'batch * seq * rowWidth'),
      f32('cos', '(pos + seq) * (headDim / 2)'),
      f32('sin', '(pos + seq) * (headDim / 2)'),
      size('batch'),
      size('seq'),
      size('rowWidth'),
      size('rotatedHeads'),
      size('headDim'),
      size('pos'),
      flag('inverse'),
    ],
    checks: [['headDim % 2 == 0 && rotatedHeads * headDim <= rowWidth', 'the heads do not fit the row']],
  },
  adamw: {
    doc: 'One decoupled-weight-decay Adam step on a flat parameter, in place on p, m and v (step is 1-based)',
    args: [
      f32Sized('p', 'n', 'inout'),
      f32('g', 'n'),
      f32InOut('m', 'n'),
      f32InOut('v', 'n'),
      float('lr'),
      float('beta1'),
      float('beta2'),
      float('eps'),
      float('weightDecay'),
      size('step', 1),
    ],
  },
} as const satisfies Record<string, KernelSpec>;

// Kernel families: a mixer's scans and chunked forms. The js versions live with the mixer (the oracle);
// the native ones are exported by the addon as "<family>.<name>".
const conv = 'batch * seq * channels';
const convSizes = [size('batch'), size('seq'), size('channels'), size('width', 1), flag('silu')] as const;
const bthk = 'B * T * H * K';
const bthv = 'B * T * H * V';
const bhkv = 'B * H * K * V';
const deltaSizes = [size('B'), size('T'), size('H'), size('K'), size('V')] as const;
const lstmSizes = [size('batch'), size('seq'), size('hidden')] as const;
const act = 'batch * seq * dInner';
const sel = 'batch * seq * dState';
const states = 'batch * dInner * dState';
const scanSizes = [
  size('batch'),
  size('seq'),
  size('dInner'),
  size('dState', 1),
  size('chunk', 1),
  flag('deltaSoftplus'),
] as const;

const code = 'rows * k';
const codeSizes = [size('rows'), size('k', 1), size('features', 1), size('dim', 1)] as const;
const codeIndices = i32('indices', code, { below: 'features' });

export const FAMILIES = {
  sae: {
    topkSelect: {
      doc: "Each row's k largest values among the allowed columns (every column when allowed is null; allowed is 1 or 0 per column), as indices best first, ties to the lower index",
      args: [
        f32('x', 'rows * features'),
        f32OrNull('allowed', 'features'),
        i32Out('indices', code),
        ...codeSizes.slice(0, 3),
      ],
    },
    sparseDecode: {
      doc: 'out[r] = bias + sum over i < k of values[r, i] w[indices[r, i]], for w [features, dim]',
      args: [
        f32('values', code),
        codeIndices,
        f32('w', 'features * dim'),
        f32OrNull('bias', 'dim'),
        f32Out('out', 'rows * dim'),
        ...codeSizes,
      ],
    },
    sparseDecodeGrad: {
      doc: 'Gradients of sparseDecode without the bias: gValues[r, i] = gOut[r] . w[indices[r, i]], gW[indices[r, i]] += values[r, i] gOut[r]',
      args: [
        f32('values', code),
        codeIndices,
        f32('w', 'features * dim'),
        f32('gOut', 'rows * dim'),
        f32Out('gValues', code),
        f32Out('gW', 'features * dim'),
        ...codeSizes,
      ],
    },
    sparseOuter: {
      doc: "out[f] = sum over (r, i) with indices[r, i] = f of g[r, i] x[r]: a sparse code's gradient back through a dense encoder, as the weight's transpose [features, dim]",
      args: [
        f32('g', code),
        codeIndices,
        f32('x', 'rows * dim'),
        f32Out('out', 'features * dim'),
        ...codeSizes,
      ],
    },
  },
  conv: {
    causalConv1d: {
      doc: 'Depthwise causal conv1d over [batch, seq, channels] with weight [channels, width], continuing from window when given, optionally through SiLU',
      args: [
        f32('x', conv),
        f32('weight', 'channels * width'),
        f32OrNull('bias', 'channels'),
        f32OrNull('window', 'batch * (width - 1) * channels'),
        f32Out('out', conv),
        ...convSizes,
      ],
    },
    causalConv1dGrad: {
      doc: 'Gradients of causalConv1d with respect to x, weight and bias',
      args: [
        f32('x', conv),
        f32('weight', 'channels * width'),
        f32OrNull('bias', 'channels'),
        f32OrNull('window', 'batch * (width - 1) * channels'),
        f32('gOut', conv),
        f32Out('gx', conv),
        f32Out('gWeight', 'channels * width'),
        f32OrNull('gBias', 'channels', 'out'),
        ...convSizes,
      ],
    },
  },
  delta: {
    chunkForward: {
      doc: 'The (gated) delta rule, chunkwise: o, the state before every chunk, and the final state (which starts as the initial one)',
      args: [
        f32('q', bthk),
        f32('k', bthk),
        f32('v', bthv),
        f32('beta', 'B * T * H'),
        f32OrNull('g', 'B * T * H'),
        f32Out('o', bthv),
        f32Out('states', 'B * H * ((T + chunkSize - 1) / chunkSize) * K * V'),
        f32InOut('state', bhkv),
        ...deltaSizes,
        size('chunkSize', 1),
        float('scale'),
      ],
    },
    chunkBackward: {
      doc: 'Gradients of chunkForward from the saved chunk states',
      args: [
        f32('q', bthk),
        f32('k', bthk),
        f32('v', bthv),
        f32('beta', 'B * T * H'),
        f32OrNull('g', 'B * T * H'),
        f32('states', 'B * H * ((T + chunkSize - 1) / chunkSize) * K * V'),
        f32('gO', bthv),
        f32Out('gq', bthk),
        f32Out('gk', bthk),
        f32Out('gv', bthv),
        f32Out('gbeta', 'B * T * H'),
        f32OrNull('gg', 'B * T * H', 'out'),
        ...deltaSizes,
        size('chunkSize', 1),
        float('scale'),
      ],
      checks: [['present(g) == present(gg)', 'g and its gradient gg must both be given or both be null']],
    },
    recurrentForward: {
      doc: 'The delta rule token by token (generation), continuing from and updating state in place',
      args: [
        f32('q', bthk),
        f32('k', bthk),
        f32('v', bthv),
        f32('beta', 'B * T * H'),
        f32OrNull('g', 'B * T * H'),
        f32Out('o', bthv),
        f32InOut('state', bhkv),
        ...deltaSizes,
        float('scale'),
      ],
    },
    l2Norm: {
      doc: 'y = x / sqrt(sum(x^2) + eps) per row of D',
      args: [f32('x', 'rows * D'), f32Out('y', 'rows * D'), long('rows'), size('D'), float('eps')],
    },
    l2NormGrad: {
      doc: 'Gradient of l2Norm',
      args: [
        f32('x', 'rows * D'),
        f32('gy', 'rows * D'),
        f32Out('gx', 'rows * D'),
        long('rows'),
        size('D'),
        float('eps'),
      ],
    },
  },
  gla: {
    chunkForward: {
      doc: 'Gated linear attention chunkwise, with per-key decays g or one per head (gHead), from s0 when given; writes the final state to sOut when given',
      args: [
        f32('q', bthk),
        f32('k', bthk),
        f32('v', bthv),
        f32OrNull('g', bthk),
        f32OrNull('gHead', 'H'),
        f32OrNull('s0', bhkv),
        f32Out('o', bthv),
        f32OutInPlace('sOut', bhkv, 's0'),
        ...deltaSizes,
        size('C', 1),
        float('scale'),
      ],
    },
    chunkBackward: {
      doc: 'Gradients of chunkForward',
      args: [
        f32('q', bthk),
        f32('k', bthk),
        f32('v', bthv),
        f32OrNull('g', bthk),
        f32OrNull('gHead', 'H'),
        f32OrNull('s0', bhkv),
        f32('dO', bthv),
        f32Out('dq', bthk),
        f32Out('dk', bthk),
        f32Out('dv', bthv),
        f32OrNull('dg', bthk, 'out'),
        ...deltaSizes,
        size('C', 1),
        float('scale'),
      ],
    },
    recurrentForward: {
      doc: 'The recurrence one step at a time (generation), continuing from and updating state in place',
      args: [
        f32('q', bthk),
        f32('k', bthk),
        f32('v', bthv),
        f32OrNull('g', bthk),
        f32OrNull('gHead', 'H'),
        f32InOut('state', bhkv),
        f32Out('o', bthv),
        ...deltaSizes,
        float('scale'),
      ],
    },
  },
  lstm: {
    forward: {
      doc: 'Runs the LSTM recurrence over all steps from (h0, c0), writing y, c and the gates',
      args: [
        f32('gx', 'batch * seq * 4 * hidden'),
        f32('whh', '4 * hidden * hidden'),
        f32('h0', 'batch * hidden'),
        f32('c0', 'batch * hidden'),
        f32Out('y', 'batch * seq * hidden'),
        f32Out('c', 'batch * seq * hidden'),
        f32Out('gates', 'batch * seq * 4 * hidden'),
        ...lstmSizes,
      ],
    },
    backward: {
      doc: 'Backpropagation through time: dgates, dh0 and dc0 from gy and gc',
      args: [
        f32('gates', 'batch * seq * 4 * hidden'),
        f32('c', 'batch * seq * hidden'),
        f32('c0', 'batch * hidden'),
        f32('whh', '4 * hidden * hidden'),
        f32('gy', 'batch * seq * hidden'),
        f32('gc', 'batch * hidden'),
        f32Out('dgates', 'batch * seq * 4 * hidden'),
        f32Out('dh0', 'batch * hidden'),
        f32Out('dc0', 'batch * hidden'),
        ...lstmSizes,
      ],
    },
  },
  mamba: {
    selectiveScan: {
      doc: "Mamba's selective scan: out, the final state last, and the state before every chunk when checkpoints is given",
      args: [
        f32('u', act),
        f32('delta', act),
        f32('A', 'dInner * dState'),
        f32('B', sel),
        f32('C', sel),
        f32('D', 'dInner'),
        f32('z', act),
        f32OrNull('deltaBias', 'dInner'),
        f32OrNull('h0', states),
        f32Out('out', act),
        f32Out('last', states),
        f32OrNull('checkpoints', `${states} * ((seq + chunk - 1) / chunk)`, 'out'),
        ...scanSizes,
      ],
    },
    selectiveScanGrad: {
      doc: 'Gradients of selectiveScan by a reverse scan from the checkpoints',
      args: [
        f32('u', act),
        f32('delta', act),
        f32('A', 'dInner * dState'),
        f32('B', sel),
        f32('C', sel),
        f32('D', 'dInner'),
        f32('z', act),
        f32OrNull('deltaBias', 'dInner'),
        f32('checkpoints', `${states} * ((seq + chunk - 1) / chunk)`),
        f32('gOut', act),
        f32Out('gu', act),
        f32Out('gDelta', act),
        f32Out('gA', 'dInner * dState'),
        f32Out('gB', sel),
        f32Out('gC', sel),
        f32Out('gD', 'dInner'),
        f32Out('gz', act),
        ...scanSizes,
      ],
    },
  },
} as const satisfies Record<string, Record<string, KernelSpec>>;

/** Control functions of the addon (not kernels, but checked the same way). */
export const CONTROL = {
  setNumThreads: { doc: 'Worker threads the native kernels use', args: [size('threads', 1)] },
  fmaPeak: {
    doc: "Runs tasks independent FMA chains in parallel, 2 * 16 * 12 * rounds flops each; out[t] gets task t's checksum",
    args: [f32Out('out', 'tasks'), size('tasks', 1), long('rounds')],
    checks: [['tasks <= 64', 'tasks must be at most 64']],
  },
} as const satisfies Record<string, KernelSpec>;

export type FamilyName = keyof typeof FAMILIES;
