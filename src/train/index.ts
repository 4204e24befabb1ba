export { AdamW, type AdamWOptions, Optimizer, type ParamGroup, SGD, type SGDOptions } from './optim.js';
