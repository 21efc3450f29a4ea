/**
 * Antialiased bilinear resampling of 8-bit RGB images: a triangle filter widened by the scale factor when
 * downscaling, applied separably (rows first, then columns). It reproduces Pillow's
 * `Image.resize(size, Image.BILINEAR, box)` bit for bit, fixed-point rounding included: weights are
 * normalized to sum 1, turned into integers with 22 fractional bits, and each pass rounds to 0..255.
 * Integer arithmetic in doubles (all sums stay below 2^53), so Node and browsers give identical bytes.
 */
import { fail } from '../errors.js';
import type { Rect, RgbImage } from './types.js';

const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  /** first input index of each output sample */
  readonly start: Int32Array;
  /** number of taps of each output sample */
  readonly count: Int32Array;
  /** fixed-point weights, `stride` per output sample */
  readonly weights: Float64Array;
  readonly stride: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Taps for resampling [in0, in1) of an axis of length `inSize` onto `outSize` samples. */
function coefficients(inSize: number, in0: number, in1: number, outSize: number): Coefficients {
  // Pillow carries the box in single precision
  const lo = Math.fround(in0);
  const scale = (Math.fround(in1) - lo) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  const k = new Float64Array(stride);
  for (let o = 0; o < outSize; o++) {
    const center = lo + (o + 0.5) * scale;
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - first;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      k[i] = triangle((i + first - center + 0.5) / filterScale);
      sum += k[i]!;
    }
    for (let i = 0; i < n; i++) {
      const w = sum !== 0 ? k[i]! / sum : k[i]!;
      weights[o * stride + i] = Math.trunc(w < 0 ? w * ONE - 0.5 : w * ONE + 0.5);
    }
    start[o] = first;
    count[o] = Math.max(n, 0);
  }
  return { start, count, weights, stride };
}

function clip8(acc: number): number {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resamples the region `box` of `image` (default: the whole image; fractional edges allowed) to
 * `width` × `height`.
 */
export function resizeBilinear(image: RgbImage, width: number, height: number, box?: Rect): RgbImage {
  const { width: w, height: h, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    fail('INPUT_VALUE', `cannot resize to ${width}x${height}: the size must be positive integers.`);
  }
  if (data.length !== w * h * 3 || w < 1 || h < 1) {
    fail('INPUT_SHAPE', `an RGB image of ${w}x${h} needs ${w * h * 3} bytes, got ${data.length}.`);
  }
  const b = box ?? { x: 0, y: 0, width: w, height: h };
  if (!(b.width > 0 && b.height > 0 && b.x >= 0 && b.y >= 0 && b.x + b.width <= w + 1e-9 && b.y + b.height <= h + 1e-9)) {
    fail('INPUT_VALUE', `resize box ${JSON.stringify(b)} does not lie inside the ${w}x${h} image.`);
  }

  const cx = coefficients(w, b.x, b.x + b.width, width);
  const cy = coefficients(h, b.y, b.y + b.height, height);

  // horizontal pass over the rows the vertical pass reads
  let rowLo = h;
  let rowHi = 0;
  for (let o = 0; o < height; o++) {
    if (cy.count[o]! <= 0) continue;
    rowLo = Math.min(rowLo, cy.start[o]!);
    rowHi = Math.max(rowHi, cy.start[o]! + cy.count[o]!);
  }
  const rows = Math.max(rowHi - rowLo, 0);
  const mid = new Uint8Array(rows * width * 3);
  for (let r = 0; r < rows; r++) {
    const src = (r + rowLo) * w * 3;
    const dst = r * width * 3;
    for (let o = 0; o < width; o++) {
      const s = cx.start[o]!;
      const n = cx.count[o]!;
      const kb = o * cx.stride;
      let a0 = HALF;
      let a1 = HALF;
      let a2 = HALF;
      for (let i = 0; i < n; i++) {
        const k = cx.weights[kb + i]!;
        const p = src + (s + i) * 3;
        a0 += data[p]! * k;
        a1 += data[p + 1]! * k;
        a2 += data[p + 2]! * k;
      }
      mid[dst + o * 3] = clip8(a0);
      mid[dst + o * 3 + 1] = clip8(a1);
      mid[dst + o * 3 + 2] = clip8(a2);
    }
  }

  const out = new Uint8Array(width * height * 3);
  const line = width * 3;
  for (let o = 0; o < height; o++) {
    const s = cy.start[o]! - rowLo;
    const n = cy.count[o]!;
    const kb = o * cy.stride;
    for (let x = 0; x < line; x++) {
      let acc = HALF;
      for (let i = 0; i < n; i++) acc += mid[(s + i) * line + x]! * cy.weights[kb + i]!;
      out[o * line + x] = clip8(acc);
    }
  }
  return { width, height, data: out };
}
