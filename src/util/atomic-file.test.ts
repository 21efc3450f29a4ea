import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';

describe('writeFileAtomic', () => {
  it('writes the bytes and leaves no temporary file; a missing directory is an IO error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnlens-atomic-'));
    try {
      const bytes = Uint8Array.from([1, 2, 3]);
      await writeFileAtomic(join(dir, 'a.png'), bytes);
      await writeFileAtomic(join(dir, 'a.png'), bytes); // overwrite
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'a.png'))), bytes);
      assert.deepEqual(readdirSync(dir), ['a.png']);
      await assert.rejects(writeFileAtomic(join(dir, 'nope', 'b.png'), bytes), (e: unknown) => e instanceof CnnlensError && e.code === 'IO' && /does not exist/.test(e.message));
      mkdirSync(join(dir, 'sub.png'));
      await assert.rejects(writeFileAtomic(join(dir, 'sub.png'), bytes), (e: unknown) => e instanceof CnnlensError && e.code === 'IO');
      assert.deepEqual(readdirSync(dir).sort(), ['a.png', 'sub.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
