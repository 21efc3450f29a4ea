/**
 * Fill values against their definitions: pixel p maps to (lo + p/255 (hi - lo) - mean) / std; the
 * separable Gaussian blur equals a direct 2-D Gaussian with edges repeated (float64 oracle, 1e-6);
 * window positions cover every pixel, the last one flush with the border.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputSpec } from '../model/input-spec.js';
import { Random } from '../util/random.js';
import { channelMeans, elementIndex, fillImage, gaussianBlur, gaussianKernel, pixelToInput } from './perturb-fill.js';
import { windowStarts } from './occlusion.js';

const spec = (layout: 'NCHW' | 'NHWC'): InputSpec => ({
  layout, height: 7, width: 9, channels: 3, range: [0, 255], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], resize: 'stretch', source: 'options',
});

test('grey and black are pixels 128 and 0 through the InputSpec; mean is per channel', () => {
  const s = spec('NHWC');
  assert.deepEqual(pixelToInput(s, 0), [-123.675 / 58.395, -116.28 / 57.12, -103.53 / 57.375]);
  const plain: InputSpec = { layout: 'NCHW', height: 7, width: 9, channels: 1, range: [-1, 1], resize: 'stretch', source: 'options' };
  assert.deepEqual(pixelToInput(plain, 128), [-1 + (128 / 255) * 2]);
  const x = Float32Array.from(new Random(1).normals(7 * 9 * 3));
  const means = channelMeans(x, s);
  for (let c = 0; c < 3; c++) {
    let m = 0;
    for (let q = 0; q < 63; q++) m += x[q * 3 + c]! / 63;
    assert.ok(Math.abs(means[c]! - m) < 1e-12);
  }
  const grey = fillImage(x, s, 'grey', 1);
  for (let c = 0; c < 3; c++) assert.equal(grey[elementIndex(s, c, 3, 4)], Math.fround(pixelToInput(s, 128)[c]!));
});

test('the separable blur equals a direct 2-D Gaussian with repeated edges, in both layouts', () => {
  for (const layout of ['NCHW', 'NHWC'] as const) {
    const s = spec(layout);
    const x = Float32Array.from(new Random(2).normals(7 * 9 * 3));
    for (const sigma of [0.5, 1, 2.5]) {
      const got = gaussianBlur(x, s, sigma);
      const r = Math.ceil(3 * sigma);
      assert.equal(gaussianKernel(sigma).length, 2 * r + 1);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 7; y++) {
          for (let i = 0; i < 9; i++) {
            let num = 0;
            let den = 0;
            for (let dy = -r; dy <= r; dy++) {
              for (let dx = -r; dx <= r; dx++) {
                const k = Math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma));
                num += k * x[elementIndex(s, c, Math.min(6, Math.max(0, y + dy)), Math.min(8, Math.max(0, i + dx)))]!;
                den += k;
              }
            }
            assert.ok(Math.abs(got[elementIndex(s, c, y, i)]! - num / den) <= 1e-6, `${layout} sigma ${sigma} (${c}, ${y}, ${i})`);
          }
        }
      }
    }
  }
});

test('window positions: stride steps, one more flush with the border, every pixel covered', () => {
  assert.deepEqual(windowStarts(224, 32, 16), [0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192]);
  assert.deepEqual(windowStarts(10, 4, 4), [0, 4, 6]);
  assert.deepEqual(windowStarts(10, 4, 3), [0, 3, 6]);
  assert.deepEqual(windowStarts(8, 8, 16), [0]);
  assert.deepEqual(windowStarts(7, 1, 1), [0, 1, 2, 3, 4, 5, 6]);
  for (let size = 1; size <= 20; size++) {
    for (let window = 1; window <= size; window++) {
      for (let stride = 1; stride <= window; stride++) {
        const starts = windowStarts(size, window, stride);
        const covered = new Array<boolean>(size).fill(false);
        for (const s of starts) {
          assert.ok(s >= 0 && s + window <= size);
          for (let i = s; i < s + window; i++) covered[i] = true;
        }
        assert.ok(covered.every(Boolean), `${size}/${window}/${stride}`);
        assert.equal(starts.at(-1)! + window, size);
      }
    }
  }
});
