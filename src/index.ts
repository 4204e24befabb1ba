// jielong: the library entry point.
export * from './backend/index.js';
export * from './nn/index.js';
export * from './tensor/index.js';
export * from './train/index.js';
