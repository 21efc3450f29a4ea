/**
 * The folder mean for the 'mean' baseline: PNGs already at the input size (so fitting them is the
 * identity) average to the per-pixel mean of their bytes, computed here; other files are skipped; an
 * empty folder is an IO error. Through Integrated Gradients, `--baseline-mean FOLDER` equals the same
 * mean image given as a .npy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeNpy } from '../data/npy.js';
import { CnnlensError } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import { Random } from '../util/random.js';
import { meanImageOfFolder } from './baseline-mean-file.js';
import { loadMeanSource } from './ig-files.js';

const SPEC: InputSpec = { layout: 'NCHW', height: 5, width: 7, channels: 3, range: [0, 1], resize: 'stretch', source: 'options' };

test('the per-pixel mean of a folder of images at the input size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-mean-'));
  try {
    const r = new Random(3);
    const raws = [0, 1, 2].map(() => Uint8Array.from({ length: 5 * 7 * 3 }, () => Math.floor(r.uniform(0, 256))));
    for (const [k, raw] of raws.entries()) await sharp(raw, { raw: { width: 7, height: 5, channels: 3 } }).png().toFile(join(dir, `img${k}.png`));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const m = await meanImageOfFolder(dir, SPEC);
    assert.equal(m.count, 3);
    assert.deepEqual(m.image.shape, [5, 7, 3]);
    const want = Float32Array.from(raws[0]!, (_, i) => (raws[0]![i]! + raws[1]![i]! + raws[2]![i]!) / 3);
    assert.deepEqual(m.image.data, want);
    // the same through --baseline-mean: a folder, or the mean image as .npy
    const npy = join(dir, 'mean.npy');
    writeFileSync(npy, writeNpy(m.image));
    const fromDir = await loadMeanSource(dir, SPEC);
    const fromNpy = await loadMeanSource(npy, SPEC);
    assert.ok(fromDir.kind === 'image' && fromNpy.kind === 'image');
    assert.deepEqual(fromDir.image.data, fromNpy.image.data);
    assert.match(fromDir.from, /mean of 3 images/);
    const empty = mkdtempSync(join(tmpdir(), 'cnnlens-mean-empty-'));
    await assert.rejects(meanImageOfFolder(empty, SPEC), (e: unknown) => e instanceof CnnlensError && e.code === 'IO' && /no images/.test(e.message));
    rmSync(empty, { recursive: true });
    await assert.rejects(loadMeanSource(join(dir, 'missing'), SPEC), (e: unknown) => e instanceof CnnlensError && e.code === 'IO');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
