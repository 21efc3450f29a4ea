import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import { centerCropBox, fitToInput, preprocess } from './preprocess.js';
import { resizeBilinear } from './resample.js';
import type { RgbImage } from './types.js';

function spec(over: Partial<InputSpec> = {}): InputSpec {
  return { layout: 'NCHW', height: 4, width: 4, channels: 3, range: [0, 1], resize: 'stretch', source: 'test', ...over };
}

function image(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { width, height, data };
}

function px(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [...img.data.subarray(i, i + 3)];
}

describe('resizeBilinear', () => {
  it('keeps a constant image constant, up and down', () => {
    const flat = image(13, 7, () => [200, 17, 99]);
    for (const [w, h] of [[5, 3], [40, 21], [13, 7], [1, 1]] as const) {
      const out = resizeBilinear(flat, w, h);
      for (let i = 0; i < w * h; i++) assert.deepEqual(px(out, i % w, Math.floor(i / w)), [200, 17, 99]);
    }
  });

  it('averages a checkerboard to grey when downscaling (antialiasing)', () => {
    const board = image(64, 64, (x, y) => ((x + y) % 2 === 0 ? [255, 255, 255] : [0, 0, 0]));
    const out = resizeBilinear(board, 8, 8);
    // away from the border, 8x8 blocks of a 1-pixel checkerboard average to 127.5
    for (let y = 1; y < 7; y++) for (let x = 1; x < 7; x++) for (const v of px(out, x, y)) assert.ok(Math.abs(v - 127.5) <= 2, `(${x},${y}) = ${v}`);
  });

  it('keeps a linear ramp linear when resampling (within one grey level)', () => {
    const ramp = image(100, 3, (x) => [x * 2, 0, 255 - x * 2]);
    const out = resizeBilinear(ramp, 40, 3);
    // output sample o covers input centre (o + 0.5) * 2.5 - 0.5; the ramp there is 2 * that
    for (let o = 2; o < 38; o++) {
      const want = 2 * ((o + 0.5) * 2.5 - 0.5);
      assert.ok(Math.abs(px(out, o, 1)[0]! - want) <= 1, `o=${o}: ${px(out, o, 1)[0]} vs ${want}`);
    }
    const up = resizeBilinear(ramp, 250, 3);
    for (let o = 3; o < 247; o++) {
      const want = 2 * ((o + 0.5) * 0.4 - 0.5);
      assert.ok(Math.abs(px(up, o, 1)[0]! - want) <= 1, `o=${o}: ${px(up, o, 1)[0]} vs ${want}`);
    }
  });

  it('matches Pillow Image.resize(BILINEAR, box) byte for byte', (t) => {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('Pillow not available at /usr/bin/python3 (Debian package python3-pil): skipping the reference comparison');
      return;
    }
    const src = image(37, 23, (x, y) => [(x * 7 + y * 13) % 256, (x * x + 3 * y) % 256, ((x ^ y) * 11) % 256]);
    const cases: { w: number; h: number; box: [number, number, number, number] }[] = [
      { w: 11, h: 6, box: [0, 0, 37, 23] },
      { w: 64, h: 50, box: [0, 0, 37, 23] },
      { w: 9, h: 9, box: [7, 0, 30, 23] },
      { w: 16, h: 16, box: [2.5, 1.25, 33.5, 22] },
      { w: 37, h: 5, box: [0, 0, 37, 23] },
    ];
    const script = [
      'import sys, json, base64',
      'from PIL import Image',
      'req = json.loads(sys.stdin.read())',
      'im = Image.frombytes("RGB", (req["w"], req["h"]), base64.b64decode(req["data"]))',
      'out = [base64.b64encode(im.resize((c["w"], c["h"]), Image.BILINEAR, box=tuple(c["box"])).tobytes()).decode() for c in req["cases"]]',
      'print(json.dumps(out))',
    ].join('\n');
    const input = JSON.stringify({ w: src.width, h: src.height, data: Buffer.from(src.data).toString('base64'), cases });
    const r = spawnSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const refs = JSON.parse(r.stdout) as string[];
    cases.forEach((c, k) => {
      const [x0, y0, x1, y1] = c.box;
      const ours = resizeBilinear(src, c.w, c.h, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
      const ref = Buffer.from(refs[k]!, 'base64');
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - ours.data[i]!));
      assert.equal(worst, 0, `case ${JSON.stringify(c)}: max difference ${worst} grey levels`);
    });
  });
});

describe('fitToInput', () => {
  it('center-crop picks the centre of a wide picture', () => {
    // 30x10: left third red, centre third marked green, right third blue
    const wide = image(30, 10, (x) => (x < 10 ? [255, 0, 0] : x < 20 ? [0, 255, 0] : [0, 0, 255]));
    const { image: fitted, crop } = fitToInput(wide, spec({ width: 5, height: 5, resize: 'center-crop' }));
    assert.deepEqual(crop, { x: 10, y: 0, width: 10, height: 10 });
    // the antialiasing filter spans two output pixels, so the edge columns mix in a little of the neighbours
    for (let y = 0; y < 5; y++) {
      for (let x = 1; x < 4; x++) assert.deepEqual(px(fitted, x, y), [0, 255, 0]);
      assert.deepEqual(px(fitted, 0, y), [32, 223, 0]); // 1/8 of the red neighbour
      assert.deepEqual(px(fitted, 4, y), [0, 223, 32]);
    }
  });

  it('center-crop of a tall picture keeps the middle rows; stretch keeps everything', () => {
    const tall = image(8, 24, (_x, y) => (y < 8 ? [255, 255, 255] : y < 16 ? [10, 20, 30] : [0, 0, 0]));
    const cropped = fitToInput(tall, spec({ width: 4, height: 4, resize: 'center-crop' }));
    assert.deepEqual(cropped.crop, { x: 0, y: 8, width: 8, height: 8 });
    assert.deepEqual(px(cropped.image, 2, 2), [10, 20, 30]);
    const stretched = fitToInput(tall, spec({ width: 4, height: 6, resize: 'stretch' }));
    assert.deepEqual(stretched.crop, { x: 0, y: 0, width: 8, height: 24 });
    assert.deepEqual(px(stretched.image, 1, 0), [255, 255, 255]);
    assert.deepEqual(px(stretched.image, 1, 5), [0, 0, 0]);
  });

  it('centerCropBox keeps the input aspect and covers the shorter side', () => {
    assert.deepEqual(centerCropBox(640, 480, 224, 224), { x: 80, y: 0, width: 480, height: 480 });
    assert.deepEqual(centerCropBox(480, 640, 224, 224), { x: 0, y: 80, width: 480, height: 480 });
    assert.deepEqual(centerCropBox(300, 300, 200, 100), { x: 0, y: 75, width: 300, height: 150 });
    assert.deepEqual(centerCropBox(5, 7, 5, 7), { x: 0, y: 0, width: 5, height: 7 });
  });
});

describe('preprocess', () => {
  const gradient = image(4, 4, (x, y) => [x * 60, y * 60, 255]);

  it('maps range, mean and std exactly (closed form)', () => {
    const s = spec({ range: [-1, 1], mean: [0.5, 0, -0.25], std: [2, 1, 0.5] });
    const t = preprocess([gradient], s);
    assert.deepEqual(t.dims, [1, 3, 4, 4]);
    const d = t.data as Float32Array;
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const want = [
          (-1 + (x * 60 / 255) * 2 - 0.5) / 2,
          (-1 + (y * 60 / 255) * 2 - 0) / 1,
          (-1 + 2 + 0.25) / 0.5,
        ];
        for (let c = 0; c < 3; c++) assert.equal(d[c * 16 + y * 4 + x], Math.fround(want[c]!));
      }
    }
  });

  it('NHWC is the transpose of NCHW', () => {
    const other = image(4, 4, (x, y) => [255 - x * 10, 3 * y, x + y]);
    const a = preprocess([gradient, other], spec({ layout: 'NCHW', range: [0, 255] }));
    const b = preprocess([gradient, other], spec({ layout: 'NHWC', range: [0, 255] }));
    assert.deepEqual(b.dims, [2, 4, 4, 3]);
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < 16; i++) assert.equal(a.data[n * 48 + c * 16 + i], b.data[n * 48 + i * 3 + c]);
      }
    }
    assert.equal(b.data[48 + 0 * 3 + 0], 255); // second image, pixel (0,0), red
  });

  it('a constant image stays constant; grayscale uses BT.601 luma', () => {
    const flat = image(9, 5, () => [100, 150, 200]);
    const t = preprocess([flat], spec({ channels: 1, width: 3, height: 2, range: [0, 255], resize: 'center-crop' }));
    assert.deepEqual(t.dims, [1, 1, 2, 3]);
    const luma = 0.299 * 100 + 0.587 * 150 + 0.114 * 200;
    for (const v of t.data as Float32Array) assert.equal(v, Math.fround(luma));
  });

  it('rejects bad specs and images with typed errors', () => {
    const typed = (code: string) => (e: unknown) => e instanceof CnnlensError && e.code === code;
    assert.throws(() => preprocess([gradient], spec({ channels: 2 })), typed('INPUT_VALUE'));
    assert.throws(() => preprocess([gradient], spec({ std: [1, 0, 1] })), typed('INPUT_VALUE'));
    assert.throws(() => preprocess([gradient], spec({ mean: [1] })), typed('INPUT_VALUE'));
    assert.throws(() => preprocess([{ width: 4, height: 4, data: new Uint8Array(47) }], spec()), typed('INPUT_SHAPE'));
    assert.throws(() => preprocess([{ width: 0, height: 4, data: new Uint8Array(0) }], spec()), typed('INPUT_SHAPE'));
  });
});
