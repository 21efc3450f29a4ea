import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { colorAt, colormap } from './colormaps.js';
import { heatmapImage, overlay } from './overlay.js';

const grey = (w: number, h: number, v: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) });
const px = (img: { width: number; data: Uint8Array }, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

describe('overlay', () => {
  it('heatmapImage colours each value through the colormap', () => {
    const img = heatmapImage([0, 0.5, 1, 2], 2, 2, 'viridis');
    assert.deepEqual(px(img, 0, 0), [0x44, 0x01, 0x54]);
    assert.deepEqual(px(img, 1, 0), colorAt(colormap('viridis'), 0.5));
    assert.deepEqual(px(img, 0, 1), [0xfd, 0xe7, 0x25]);
    assert.deepEqual(px(img, 1, 1), [0xfd, 0xe7, 0x25]); // clamped
  });

  it('blends with alpha (closed form) and keeps the picture at alpha 0', () => {
    const base = grey(2, 1, 100);
    const out = overlay(base, [0, 1], { colormap: 'viridis', alpha: 0.25 });
    assert.deepEqual(px(out, 0, 0), [0x44, 0x01, 0x54].map((c) => Math.round(0.75 * 100 + 0.25 * c)));
    assert.deepEqual(px(out, 1, 0), [0xfd, 0xe7, 0x25].map((c) => Math.round(0.75 * 100 + 0.25 * c)));
    assert.deepEqual(overlay(base, [0, 1], { alpha: 0 }).data, base.data);
  });

  it('upsamples a coarse map to the picture (half-pixel bilinear)', () => {
    // a 1x2 map [0, 1] on an 8-pixel-wide picture: the left quarter is pure 0, the right quarter pure 1
    const out = overlay(grey(8, 2, 0), [0, 1], { colormap: 'jet', alpha: 1, mapDims: [1, 2] });
    assert.deepEqual(px(out, 0, 0), colorAt(colormap('jet'), 0));
    assert.deepEqual(px(out, 1, 1), colorAt(colormap('jet'), 0));
    assert.deepEqual(px(out, 7, 1), colorAt(colormap('jet'), 1));
    assert.deepEqual(px(out, 3, 0), colorAt(colormap('jet'), 0.375)); // source x = 3.5/4 - 0.5
  });

  it('refuses NaN, a wrong size and a bad alpha', () => {
    const typed = (code: string) => (e: unknown) => e instanceof CnnlensError && e.code === code;
    assert.throws(() => overlay(grey(2, 1, 0), [0, NaN]), typed('INPUT_VALUE'));
    assert.throws(() => overlay(grey(2, 1, 0), [0, 1, 1]), typed('INPUT_SHAPE'));
    assert.throws(() => overlay(grey(2, 1, 0), [0, 1], { alpha: 1.5 }), typed('USAGE'));
  });
});
