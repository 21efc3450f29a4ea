/** Node-only: reading and writing .onnx files with clear errors. */
import { readFileSync, statSync } from 'node:fs';
import { fail } from '../errors.js';
import type { Model } from './ir.js';
import { loadModel } from './load.js';

export function loadModelFile(path: string): Model {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail('ONNX_PARSE', `'${path}' is a directory, not an .onnx file.`);
    size = st.size;
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      fail('ONNX_PARSE', `model file '${path}' does not exist.`);
    }
    throw e;
  }
  if (size > 2 ** 31 - 1) fail('ONNX_UNSUPPORTED', `model file '${path}' is ${size} bytes; ONNX files over 2 GiB need external data, which cnnlens does not support.`);
  const bytes = new Uint8Array(readFileSync(path));
  try {
    return loadModel(bytes);
  } catch (e) {
    if (e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string' && e.name === 'CnnlensError') {
      e.message = `${path}: ${e.message}`;
    }
    throw e;
  }
}
