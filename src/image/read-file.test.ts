import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { CnnlensError } from '../errors.js';
import { crc32 } from '../render/png.js';
import { readImageBytes, readImageFile } from './read-file.js';
import type { RgbImage } from './types.js';

const PHOTOS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'images');

function rejectsWith(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof CnnlensError && e.code === code && pattern.test(e.message);
}

const px = (img: RgbImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

/** A PNG whose IHDR claims `width` x `height`, with an IDAT holding only a zlib header (no pixels). */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(4 + 4 + 13 + 4);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, 13);
  ihdr.set([...'IHDR'].map((c) => c.charCodeAt(0)), 4);
  v.setUint32(8, width);
  v.setUint32(12, height);
  ihdr.set([8, 2, 0, 0, 0], 16);
  v.setUint32(21, crc32(ihdr.subarray(4, 21)));
  const idat = Uint8Array.from([0, 0, 0, 2, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0, 0, 0, 0]);
  new DataView(idat.buffer).setUint32(10, crc32(idat.subarray(4, 10)));
  const iend = Uint8Array.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...ihdr, ...idat, ...iend]);
}

describe('readImageFile', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-img-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('applies EXIF orientation: width and height swap, the marked corner moves', async () => {
    // 40x20 blue with a red 10x10 block at the top-left; orientation 6 = display rotated 90° clockwise
    const raw = new Uint8Array(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) raw.set(x < 10 && y < 10 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const path = join(dir, 'rotated.jpg');
    writeFileSync(path, jpeg);
    const img = await readImageFile(path);
    assert.deepEqual([img.width, img.height], [20, 40]);
    const [r, , b] = px(img, 15, 5); // top-right corner after rotation
    assert.ok(r! > 200 && b! < 60, `top-right ${px(img, 15, 5)} should be red`);
    const [r2, , b2] = px(img, 5, 5);
    assert.ok(r2! < 60 && b2! > 200, `top-left ${px(img, 5, 5)} should be blue`);
  });

  it('refuses a PNG header claiming 40000x40000 before decoding, quickly', async () => {
    const path = join(dir, 'huge.png');
    writeFileSync(path, pngHeaderOnly(40000, 40000));
    const t0 = performance.now();
    await assert.rejects(readImageFile(path), rejectsWith('IMAGE', /40000x40000.*downscale/));
    assert.ok(performance.now() - t0 < 1000);
    await assert.rejects(readImageBytes(pngHeaderOnly(300, 300), 'small-limit.png', { maxPixels: 50_000 }), rejectsWith('IMAGE', /300x300/));
  });

  it('gives IMAGE errors for a text file named .png, a truncated JPEG and empty bytes; IO for a missing file', async () => {
    const text = join(dir, 'notes.png');
    writeFileSync(text, 'this is not a picture\n');
    await assert.rejects(readImageFile(text), rejectsWith('IMAGE', /notes\.png.*PNG/));
    const jpeg = readFileSync(join(PHOTOS, 'grace_hopper.jpg'));
    const cut = join(dir, 'cut.jpg');
    writeFileSync(cut, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await assert.rejects(readImageFile(cut), rejectsWith('IMAGE', /cut\.jpg.*truncated or corrupt/));
    await assert.rejects(readImageBytes(new Uint8Array(0), 'empty'), rejectsWith('IMAGE', /empty/));
    await assert.rejects(readImageFile(join(dir, 'missing.png')), rejectsWith('IO', /does not exist/));
    await assert.rejects(readImageFile(dir), rejectsWith('IO', /directory/));
  });

  it('flattens transparency onto white, expands grayscale and reduces 16-bit to 8-bit RGB', async () => {
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128]);
    const png = await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } }).png().toBuffer();
    const img = await readImageBytes(png, 'alpha.png');
    assert.deepEqual([...img.data.subarray(0, 6)], [255, 0, 0, 255, 255, 255]); // opaque red; transparent green -> white
    // half-transparent blue on white: 255 * (1 - 128/255) = 127 for red and green
    [127, 127, 255].forEach((v, i) => assert.ok(Math.abs(img.data[6 + i]! - v) <= 1, `${[...img.data.subarray(6)]}`));
    const grey = await sharp(Uint8Array.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    assert.deepEqual([...(await readImageBytes(grey, 'grey.png')).data], [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    const deep = await sharp(Uint8Array.from([10, 20, 30]), { raw: { width: 1, height: 1, channels: 3 } }).png().toColourspace('rgb16').toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    assert.deepEqual([...(await readImageBytes(deep, 'deep.png')).data], [10, 20, 30]);
  });

  it('reads the bundled photographs (JPEG and PNG) and WebP / GIF / TIFF from memory', async () => {
    for (const file of ['grace_hopper.jpg', 'chelsea.png']) {
      const img = await readImageFile(join(PHOTOS, file));
      const meta = await sharp(join(PHOTOS, file)).metadata();
      assert.deepEqual([img.width, img.height], [meta.width, meta.height]);
      assert.equal(img.data.length, img.width * img.height * 3);
    }
    const raw = Uint8Array.from([200, 10, 10, 10, 200, 10]);
    const base = () => sharp(raw, { raw: { width: 2, height: 1, channels: 3 } });
    for (const [fmt, bytes] of [['webp', await base().webp({ lossless: true }).toBuffer()], ['gif', await base().gif().toBuffer()], ['tiff', await base().tiff({ compression: 'lzw' }).toBuffer()]] as const) {
      const img = await readImageBytes(bytes, `x.${fmt}`);
      assert.deepEqual([img.width, img.height], [2, 1], fmt);
      assert.ok(img.data[0]! > 150 && img.data[4]! > 150, `${fmt}: ${[...img.data]}`);
    }
  });
});
