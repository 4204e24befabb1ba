export { Linear, type LinearOptions, uniformParameter } from './linear.js';
export { Module } from './module.js';
