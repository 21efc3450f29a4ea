/**
 * Node only: writing encoded PNGs to disk atomically (a temporary file in the same directory, flushed,
 * then renamed over the target), so readers and an interrupted run see the old file or the whole new one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fail } from '../errors.js';

function errno(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : undefined;
}

export async function writePngFileAtomic(path: string, png: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(png);
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
