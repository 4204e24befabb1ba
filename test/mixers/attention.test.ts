// Attention through the conformance suite: the fused kernels (training and the cached generation step)
// against the textbook form, generation through the KV cache, a tiny model.
import { mixerConformance } from './conformance.js';

mixerConformance('attention');
