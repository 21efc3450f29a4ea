export * from './ir.js';
export * from './tensor.js';
export * from './graph.js';
export * from './load.js';
export { decodeModel, encodeModel } from './codec.js';
