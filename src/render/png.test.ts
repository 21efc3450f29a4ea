import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { CnnlensError } from '../errors.js';
import { crc32, encodePng } from './png.js';

function noise(width: number, height: number, channels: 3 | 4, seed: number) {
  const data = new Uint8Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    // smooth gradients plus noise, so every filter type gets chosen somewhere
    s = (s * 1103515245 + 12345) >>> 0;
    const x = Math.floor(i / channels) % width;
    const y = Math.floor(i / channels / width);
    data[i] = y < height / 2 ? (x * 3 + y) & 0xff : (s >>> 16) & 0xff;
  }
  return { width, height, data };
}

describe('encodePng', () => {
  it('crc32 gives the standard check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  for (const channels of [3, 4] as const) {
    it(`round-trips ${channels === 3 ? 'RGB' : 'RGBA'} pixels through sharp unchanged`, async () => {
      const img = noise(37, 19, channels, 7);
      const png = encodePng(img);
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [37, 19, channels]);
      assert.ok(Buffer.from(img.data).equals(data));
    });
  }

  it('is decoded identically by Pillow (an independent decoder)', (t) => {
    const img = noise(23, 11, 3, 3);
    const script = 'import sys, io\nfrom PIL import Image\nim = Image.open(io.BytesIO(sys.stdin.buffer.read()))\nim.load()\nsys.stdout.buffer.write(im.mode.encode() + b"|" + im.tobytes())';
    const r = spawnSync('/usr/bin/python3', ['-c', script], { input: encodePng(img) });
    if (r.status !== 0 && /No module named/.test(String(r.stderr))) {
      t.skip('Pillow not available at /usr/bin/python3 (Debian package python3-pil)');
      return;
    }
    assert.equal(r.status, 0, String(r.stderr));
    const out = r.stdout as Buffer;
    assert.equal(out.subarray(0, 4).toString(), 'RGB|');
    assert.ok(Buffer.from(img.data).equals(out.subarray(4)));
  });

  it('writes a valid signature and chunk layout, and the same bytes every time', () => {
    const img = noise(5, 4, 3, 1);
    const a = encodePng(img);
    assert.deepEqual([...a.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(new TextDecoder().decode(a.subarray(12, 16)), 'IHDR');
    assert.equal(new TextDecoder().decode(a.subarray(a.length - 8, a.length - 4)), 'IEND');
    assert.deepEqual(encodePng(img), a);
  });

  it('refuses data that is neither RGB nor RGBA', () => {
    assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8Array(10) }), (e: unknown) => e instanceof CnnlensError && e.code === 'INPUT_SHAPE');
  });
});
