// The backends: the kernel table, the js reference, the native addon, and the choice between them.
export { type BackendName, backend, nativeAvailable, setBackend } from './active.js';
export { type Backend, stridedDims } from './backend.js';
export { type KernelFamily, kernelFamily } from './family.js';
export { getNumThreads, setNumThreads } from './native.js';
export { measurePeak } from './peak.js';
