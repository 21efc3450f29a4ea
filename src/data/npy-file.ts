/** Node-only: .npy files on disk, with clear errors and atomic writes. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CnnlensError, fail } from '../errors.js';
import type { HostTensor } from '../runtime/backend.js';
import { readNpy, writeNpy, type NpyArray } from './npy.js';

function errno(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : undefined;
}

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

/**
 * Writes `t` to `path` through a temporary file in the same directory, flushed and then renamed
 * over `path`: readers, and a process killed midway, see either the old file or the whole new one.
 */
export async function writeNpyFileAtomic(path: string, t: NpyArray | HostTensor): Promise<void> {
  const bytes = writeNpy(t);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT') fail('IO', `cannot write '${path}': the directory '${dirname(path)}' does not exist.`, e);
    if (code === 'EISDIR') fail('IO', `cannot write '${path}': it is a directory.`, e);
    fail('IO', `cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`, e);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined); // may never have been created
  }
}
