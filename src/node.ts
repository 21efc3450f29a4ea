/** Node-only parts of the public API: files and the onnxruntime-node backend. */
export { loadModelFile } from './onnx/load-file.js';
export { nodeBackend } from './runtime/node-backend.js';
export { readNpyFile, writeNpyFileAtomic } from './data/npy-file.js';
