// The delta-rule kernel family: js oracles here, native versions in native/src/mixers/delta.cc exported as
// "delta.<name>" with the same arguments.
import { kernelFamily } from '../../backend/index.js';
import { chunkBackward, chunkForward } from './js-chunk.js';
import { l2Norm, l2NormGrad } from './js-l2norm.js';
import { recurrentForward } from './js-recurrent.js';

export const deltaKernels = kernelFamily('delta', {
  chunkForward,
  chunkBackward,
  recurrentForward,
  l2Norm,
  l2NormGrad,
});
