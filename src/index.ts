// jielong: the library entry point, one namespace per layer plus the tensor essentials at the top.
export * from './agent/index.js';
export * from './backend/index.js';
export * from './chat/index.js';
export * as data from './data/index.js';
export * from './generate/index.js';
export * as interop from './interop/index.js';
export * as io from './io/index.js';
export * as lens from './lens/index.js';
export * as merge from './merge/index.js';
export * from './mixers/index.js';
export * from './model/index.js';
export * from './nn/index.js';
export * as plot from './plot/index.js';
export * from './serve/index.js';
export * from './tensor/index.js';
export * from './tokenizer/index.js';
export * from './train/index.js';
