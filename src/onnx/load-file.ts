/** Node-only: reading .onnx files with clear errors. */
import { readFileSync, statSync } from 'node:fs';
import { CnnlensError, fail } from '../errors.js';
import type { Model } from './ir.js';
import { loadModel } from './load.js';

/** A file-system failure as a typed error that says what went wrong with which file. */
function fsError(path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why: Record<string, string> = {
    ENOENT: 'does not exist',
    EACCES: 'cannot be read (permission denied)',
    EPERM: 'cannot be read (permission denied)',
    EISDIR: 'is a directory, not an .onnx file',
    ELOOP: 'is a loop of symbolic links',
    ENAMETOOLONG: 'has a name that is too long',
  };
  fail('IO', `model file '${path}' ${why[code ?? ''] ?? `cannot be read (${code ?? String(e)})`}.`, e);
}

export function loadModelFile(path: string): Model {
  let size: number;
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail('IO', `'${path}' is a directory, not an .onnx file.`);
    size = st.size;
    if (size > 2 ** 31 - 1) fail('ONNX_UNSUPPORTED', `model file '${path}' is ${size} bytes; ONNX files over 2 GiB need external data, which cnnlens does not support.`);
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof CnnlensError) throw e;
    fsError(path, e);
  }
  try {
    return loadModel(bytes);
  } catch (e) {
    if (e instanceof CnnlensError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
