import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CnnlensError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { colorAt, colormap } from './colormaps.js';
import { formatValue, renderColorbar } from './colorbar.js';
import { renderGrid } from './grid.js';
import { normalizeMaps } from './normalize.js';
import { heatmapImage, overlay } from './overlay.js';
import { encodePng } from './png.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tmp');

function solid(w: number, h: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width: w, height: h, data };
}

const px = (img: RgbImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

describe('grid and colorbar', () => {
  it('places pictures by column width and row height, with padding on white', () => {
    const g = renderGrid([[{ image: solid(10, 6, [255, 0, 0]) }, { image: solid(4, 4, [0, 0, 255]) }], [{ image: solid(6, 8, [0, 255, 0]) }]], { padding: 2 });
    // column widths 10 and max(4, width of 'M' = 5) = 5
    assert.equal(g.width, 2 + 10 + 2 + 5 + 2);
    assert.equal(g.height, 2 + 6 + 2 + 8 + 2);
    assert.deepEqual(px(g, 0, 0), [255, 255, 255]);
    assert.deepEqual(px(g, 2, 2), [255, 0, 0]);
    assert.deepEqual(px(g, 14, 2), [0, 0, 255]); // centred: 14 + floor((5 - 4) / 2)
    assert.deepEqual(px(g, 4, 10), [0, 255, 0]); // centred in the 10-wide column: 2 + 2
  });

  it('captions add rows of text under the pictures', () => {
    const plain = renderGrid([[{ image: solid(40, 10, [9, 9, 9]) }]]);
    const captioned = renderGrid([[{ image: solid(40, 10, [9, 9, 9]), caption: 'grad cam x' }]]);
    // 'grad cam x' is 59 px wide at scale 1: two lines in a 40 px column
    assert.equal(captioned.height - plain.height, 4 + 2 * 10);
    const big = renderGrid([[{ image: solid(40, 10, [9, 9, 9]), caption: 'ab' }]], { fontScale: 2 });
    assert.equal(big.height - plain.height, 4 + 20);
  });

  it('colorbar shows the colormap ends and formats its labels', () => {
    const bar = renderColorbar({ colormap: 'viridis', domain: [0, 8], width: 100 });
    assert.deepEqual(px(bar, 1, 5), colorAt(colormap('viridis'), 0));
    assert.deepEqual(px(bar, 98, 5), colorAt(colormap('viridis'), 1));
    assert.deepEqual([formatValue(0), formatValue(0.5), formatValue(-12.345), formatValue(0.00123), formatValue(25000)], ['0', '0.5', '-12.3', '1.23e-3', '2.5e4']);
    assert.throws(() => renderColorbar({ colormap: 'viridis', domain: [0, 1], width: 4 }), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE');
  });

  it('renders a figure to tmp/ for a visual check', () => {
    // a synthetic picture and two synthetic maps: a positive blob and a signed dipole
    const W = 96;
    const pic = { width: W, height: W, data: new Uint8Array(W * W * 3) };
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) pic.data.set([120 + x, 90 + y, 160 - x], (y * W + x) * 3);
    const blob = new Float32Array(7 * 7).map((_v, i) => Math.exp(-(((i % 7) - 4) ** 2 + (Math.floor(i / 7) - 2) ** 2) / 3));
    const dipole = new Float32Array(7 * 7).map((_v, i) => (i % 7) - 3 + 0.3 * Math.floor(i / 7));
    const [pos] = normalizeMaps([{ data: blob, dims: [7, 7] }], { sign: 'positive' });
    const [signed] = normalizeMaps([{ data: dipole, dims: [7, 7] }], { sign: 'all' });
    const rows = [
      [
        { image: pic, caption: 'input (96x96)' },
        { image: overlay(pic, pos!.values, { mapDims: [7, 7], colormap: 'jet', alpha: 0.5 }), caption: 'Grad-CAM, jet overlay' },
        { image: heatmapImage(pos!.values, 7, 7, 'viridis'), caption: 'raw 7x7 map' },
      ],
      [
        { image: overlay(pic, signed!.values, { mapDims: [7, 7], colormap: 'rdbu', alpha: 0.7 }), caption: 'signed: rdbu' },
        { image: heatmapImage(new Float32Array(W * W).map((_v, i) => (i % W) / (W - 1)), W, W, 'turbo'), caption: 'turbo ramp' },
        { image: heatmapImage(new Float32Array(W * W).map((_v, i) => (i % W) / (W - 1)), W, W, 'inferno'), caption: 'inferno ramp 0123456789 !?#%' },
      ],
    ];
    for (const scale of [1, 2]) {
      const fig = renderGrid(rows, {
        title: 'cnnlens figure: ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz',
        fontScale: scale,
        colorbar: { colormap: 'rdbu', domain: signed!.domain, label: 'd logit / d pixel (signed)' },
      });
      mkdirSync(OUT, { recursive: true });
      writeFileSync(join(OUT, `grid-x${scale}.png`), encodePng(fig));
      assert.ok(fig.width > 3 * W && fig.height > 2 * W);
    }
  });
});
