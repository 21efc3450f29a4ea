/** Node-only: .npy files on disk, with clear errors and atomic writes. */
import { readFile } from 'node:fs/promises';
import { CnnlensError, fail } from '../errors.js';
import { errno, writeFileAtomic } from '../util/atomic-file.js';
import type { HostTensor } from '../runtime/backend.js';
import { readNpy, writeNpy, type NpyArray } from './npy.js';

export async function readNpyFile(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT') fail('IO', `.npy file '${path}' does not exist.`, e);
    if (code === 'EISDIR') fail('IO', `'${path}' is a directory, not a .npy file.`, e);
    fail('IO', `cannot read '${path}': ${e instanceof Error ? e.message : String(e)}`, e);
  }
  try {
    return readNpy(bytes);
  } catch (e) {
    if (e instanceof CnnlensError) throw new CnnlensError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Writes `t` as .npy atomically (see writeFileAtomic). */
export async function writeNpyFileAtomic(path: string, t: NpyArray | HostTensor): Promise<void> {
  await writeFileAtomic(path, writeNpy(t));
}
