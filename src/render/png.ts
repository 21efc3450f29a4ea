/**
 * PNG encoding of 8-bit RGB / RGBA images (colour types 2 and 6, no interlace), platform neutral:
 * the same bytes in Node and in browsers. Each row gets the filter (None, Sub, Up, Average, Paeth) with
 * the smallest sum of absolute signed bytes, libpng's heuristic; zlib is fflate's, at a fixed level.
 */
import { zlibSync } from 'fflate';
import { fail } from '../errors.js';
import type { RgbaImage, RgbImage } from '../image/types.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309 / ITU-T V.42, as PNG and zlib's crc32 use), over `bytes` in order. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filtered scanlines: one filter-type byte then the filtered row, for every row. */
function filterRows(data: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = row - stride;
    let bestCost = Infinity;
    let bestType = 0;
    for (let type = 0; type < 5; type++) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const x = data[row + i]!;
        const a = i >= bpp ? data[row + i - bpp]! : 0;
        const b = y > 0 ? data[prev + i]! : 0;
        const c = y > 0 && i >= bpp ? data[prev + i - bpp]! : 0;
        const pred = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (x - pred) & 0xff;
        candidate[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestType = type;
        out[y * (stride + 1)] = type;
        out.set(candidate, y * (stride + 1) + 1);
      }
    }
    out[y * (stride + 1)] = bestType;
  }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** Channels per pixel of an image: 3 or 4, from its data length; anything else is an error. */
function channelsOf(image: RgbImage | RgbaImage): 3 | 4 {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    fail('INPUT_SHAPE', `cannot encode a PNG of ${width}x${height} pixels.`);
  }
  if (data.length === width * height * 3) return 3;
  if (data.length === width * height * 4) return 4;
  return fail('INPUT_SHAPE', `a ${width}x${height} image needs ${width * height * 3} (RGB) or ${width * height * 4} (RGBA) bytes, got ${data.length}.`);
}

/** Encodes an 8-bit RGB or RGBA image (told apart by its data length) as PNG bytes. */
export function encodePng(image: RgbImage | RgbaImage): Uint8Array {
  const bpp = channelsOf(image);
  const { width, height } = image;
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = bpp === 3 ? 2 : 6; // colour type: truecolour / truecolour with alpha
  // compression, filter method, interlace: 0
  const idat = zlibSync(filterRows(image.data, width, height, bpp), { level: 6 });
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
