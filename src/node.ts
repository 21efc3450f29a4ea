/** Node-only parts of the public API: files and the onnxruntime-node backend. */
export { loadModelFile } from './onnx/load-file.js';
export { nodeBackend } from './runtime/node-backend.js';
export { readNpyFile, writeNpyFileAtomic } from './data/npy-file.js';
export { loadImageModel, readLabels, type LoadedModel, type ModelFileOptions } from './model/load-file.js';
export { defaultModel, cacheDir, DEFAULT_MODEL_NAME, DEFAULT_MODEL_SPEC } from './model/default-model.js';
export { readImageFile, readImageBytes } from './image/read-file.js';
export { readTfjsFiles } from './import/tfjs-file.js';
export { WorkerHdf5Reader, workerHdf5, type Hdf5WorkerOptions } from './import/h5-in-worker.js';
export { nsfwjsSource, NSFWJS_LABELS, NSFWJS_VERSION } from './import/nsfwjs.js';
export { writeFileAtomic } from './util/atomic-file.js';
