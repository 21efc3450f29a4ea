/**
 * Transformation robustness (Mordvintsev et al. 2015, "Inceptionism"; Olah et al. 2017, "Feature
 * Visualization", Distill; Lucid's `optvis.transform`): each step the image is padded, jittered,
 * scaled and rotated at random before the model sees it, so the optimization cannot rely on
 * pixel-exact patterns that only fool the network. Each transform is a linear map on the images,
 * drawn per example from a seeded generator, with its exact adjoint for the backward pass.
 *
 * Geometry: pixel centres at integers; an output pixel (oy, ox) reads the input at
 * (sy, sx) = A (oy, ox, 1) with bilinear interpolation, and a tap outside the input reads the fill
 * value (0.5, grey, by default). Constant padding, crops (jitter, fit) and scaling and rotation about
 * the centre ((h - 1) / 2, (w - 1) / 2) are all such maps, so `compose` multiplies consecutive ones
 * into one map and samples once per step (no blur from resampling twice). Reflection padding is the
 * one transform that is not affine; it runs on its own.
 */
import { fail } from '../errors.js';
import type { Random } from '../util/random.js';
import { imageBatch, type ImageBatch } from './image-batch.js';

export interface Applied {
  readonly out: ImageBatch;
  /** d(loss)/d(input) for d(loss)/d(out) */
  backward(g: ImageBatch): ImageBatch;
}

/** (sy, sx) = (a00 oy + a01 ox + by, a10 oy + a11 ox + bx): [a00, a01, by, a10, a11, bx]. */
export type Affine = readonly [number, number, number, number, number, number];

export interface Geometry {
  readonly h: number;
  readonly w: number;
  /** one map per example */
  readonly maps: readonly Affine[];
  readonly fill: number;
}

export interface Transform {
  /** for summaries, e.g. 'jitter(8)' */
  readonly name: string;
  /** the affine map this transform draws for a batch of n h x w images (absent: not affine) */
  geometry?(n: number, h: number, w: number, rng: Random): Geometry;
  apply(x: ImageBatch, rng: Random): Applied;
}

/** outer ∘ inner: first `inner` (output → its input), then `outer` (that → the original input). */
function chain(outer: Affine, inner: Affine): Affine {
  const [a, b, c, d, e, f] = outer;
  const [p, q, r, s, t, u] = inner;
  return [a * p + b * s, a * q + b * t, a * r + b * u + c, d * p + e * s, d * q + e * t, d * r + e * u + f];
}

function geometric(name: string, geometry: (n: number, h: number, w: number, rng: Random) => Geometry): Transform {
  return { name, geometry, apply: (x, rng) => { const g = geometry(x.n, x.h, x.w, rng); return sampleAffine(x, g.h, g.w, g.maps, g.fill); } };
}

/**
 * Applies transforms in order (consecutive affine ones as one map with the first one's fill); the
 * backward pass runs them in reverse.
 */
export function compose(transforms: readonly Transform[], x: ImageBatch, rng: Random): Applied {
  const steps: Applied[] = [];
  let cur = x;
  for (let k = 0; k < transforms.length;) {
    const t = transforms[k]!;
    if (!t.geometry) {
      const a = t.apply(cur, rng);
      steps.push(a);
      cur = a.out;
      k++;
      continue;
    }
    let g = t.geometry(cur.n, cur.h, cur.w, rng);
    let maps = g.maps;
    const fill = g.fill;
    k++;
    while (k < transforms.length && transforms[k]!.geometry) {
      const next = transforms[k]!.geometry!(cur.n, g.h, g.w, rng);
      maps = maps.map((m, b) => chain(m, next.maps[b]!));
      g = next;
      k++;
    }
    const a = sampleAffine(cur, g.h, g.w, maps, fill);
    steps.push(a);
    cur = a.out;
  }
  return {
    out: cur,
    backward(g: ImageBatch): ImageBatch {
      let d = g;
      for (let k = steps.length - 1; k >= 0; k--) d = steps[k]!.backward(d);
      return d;
    },
  };
}

/**
 * Bilinear resampling of each example by its affine map into h x w; a tap outside the input reads
 * `fill`. The adjoint scatters each output gradient onto the taps inside the input.
 */
export function sampleAffine(x: ImageBatch, h: number, w: number, maps: readonly Affine[], fill: number): Applied {
  const { n, c } = x;
  const ih = x.h, iw = x.w;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 1 && w >= 1)) fail('USAGE', `a transform produced an empty image (${h}x${w}).`);
  const plane = h * w, iplane = ih * iw;
  // per example and output pixel: the top-left tap (y0 * iw + x0, may lie outside), its fractions,
  // and a 4-bit mask of which of the four taps lie inside the input
  const base = new Int32Array(n * plane);
  const fys = new Float32Array(n * plane);
  const fxs = new Float32Array(n * plane);
  const inside = new Uint8Array(n * plane);
  for (let b = 0; b < n; b++) {
    const [a00, a01, by, a10, a11, bx] = maps[b]!;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const sy = a00 * y + a01 * xx + by;
        const sx = a10 * y + a11 * xx + bx;
        const y0 = Math.floor(sy), x0 = Math.floor(sx);
        const o = b * plane + y * w + xx;
        base[o] = y0 * iw + x0;
        fys[o] = sy - y0;
        fxs[o] = sx - x0;
        const r0 = y0 >= 0 && y0 < ih, r1 = y0 + 1 >= 0 && y0 + 1 < ih;
        const c0 = x0 >= 0 && x0 < iw, c1 = x0 + 1 >= 0 && x0 + 1 < iw;
        inside[o] = (r0 && c0 ? 1 : 0) | (r0 && c1 ? 2 : 0) | (r1 && c0 ? 4 : 0) | (r1 && c1 ? 8 : 0);
      }
    }
  }
  const out = imageBatch(n, c, h, w);
  const src = x.data;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const q = (b * c + k) * plane, iq = (b * c + k) * iplane;
      for (let p = 0; p < plane; p++) {
        const o = b * plane + p;
        const i = iq + base[o]!, fy = fys[o]!, fx = fxs[o]!, m = inside[o]!;
        const v00 = m & 1 ? src[i]! : fill, v01 = m & 2 ? src[i + 1]! : fill;
        const v10 = m & 4 ? src[i + iw]! : fill, v11 = m & 8 ? src[i + iw + 1]! : fill;
        out.data[q + p] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
  return {
    out,
    backward(g) {
      const d = imageBatch(n, c, ih, iw);
      const dd = d.data;
      for (let b = 0; b < n; b++) {
        for (let k = 0; k < c; k++) {
          const q = (b * c + k) * plane, iq = (b * c + k) * iplane;
          for (let p = 0; p < plane; p++) {
            const o = b * plane + p;
            const i = iq + base[o]!, fy = fys[o]!, fx = fxs[o]!, m = inside[o]!;
            const gv = g.data[q + p]!;
            if (m & 1) dd[i] += (1 - fy) * (1 - fx) * gv;
            if (m & 2) dd[i + 1] += (1 - fy) * fx * gv;
            if (m & 4) dd[i + iw] += fy * (1 - fx) * gv;
            if (m & 8) dd[i + iw + 1] += fy * fx * gv;
          }
        }
      }
      return d;
    },
  };
}

/** Pads every side by `p` pixels: with a constant value, or by reflection (without repeating the edge). */
export function pad(p: number, options: { mode?: 'constant' | 'reflect'; value?: number } = {}): Transform {
  if (!(Number.isInteger(p) && p >= 0)) fail('USAGE', `pad: the padding must be a non-negative integer, got ${p}.`);
  const mode = options.mode ?? 'constant';
  const value = options.value ?? 0.5;
  if (mode === 'constant') {
    return geometric(`pad(${p})`, (n, h, w) => ({ h: h + 2 * p, w: w + 2 * p, maps: Array.from({ length: n }, () => [1, 0, -p, 0, 1, -p] as const), fill: value }));
  }
  if (mode !== 'reflect') fail('USAGE', `pad: mode must be 'constant' or 'reflect', got '${String(mode)}'.`);
  return {
    name: `pad(${p}, reflect)`,
    apply(x) {
      if (p >= x.h || p >= x.w) fail('USAGE', `pad: reflection by ${p} needs images larger than ${p} pixels, got ${x.h}x${x.w}.`);
      const H = x.h + 2 * p, W = x.w + 2 * p;
      const src = (i: number, n: number) => {
        let j = Math.abs(i - p);
        if (j >= n) j = 2 * (n - 1) - j;
        return j;
      };
      const rows = Int32Array.from({ length: H }, (_, i) => src(i, x.h));
      const cols = Int32Array.from({ length: W }, (_, i) => src(i, x.w));
      const out = imageBatch(x.n, x.c, H, W);
      for (let q = 0; q < x.n * x.c; q++) {
        for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) out.data[q * H * W + y * W + xx] = x.data[q * x.h * x.w + rows[y]! * x.w + cols[xx]!]!;
      }
      return {
        out,
        backward(g) {
          const d = imageBatch(x.n, x.c, x.h, x.w);
          for (let q = 0; q < x.n * x.c; q++) {
            for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) d.data[q * x.h * x.w + rows[y]! * x.w + cols[xx]!] += g.data[q * H * W + y * W + xx]!;
          }
          return d;
        },
      };
    },
  };
}

/** Crops `d` pixels in each direction at a random offset (0..d, per example): the output is d smaller. */
export function jitter(d: number): Transform {
  if (!(Number.isInteger(d) && d >= 0)) fail('USAGE', `jitter: the shift must be a non-negative integer, got ${d}.`);
  return geometric(`jitter(${d})`, (n, h, w, rng) => {
    if (h <= d || w <= d) fail('USAGE', `jitter(${d}) needs images larger than ${d} pixels, got ${h}x${w}.`);
    const maps = Array.from({ length: n }, () => {
      const dy = Math.floor(rng.next() * (d + 1));
      const dx = Math.floor(rng.next() * (d + 1));
      return [1, 0, dy, 0, 1, dx] as const;
    });
    return { h: h - d, w: w - d, maps, fill: 0.5 };
  });
}

/** An affine map about the centre of an h x w image: (sy, sx) = centre + M (o - centre). */
function aboutCentre(h: number, w: number, m00: number, m01: number, m10: number, m11: number): Affine {
  const cy = (h - 1) / 2, cx = (w - 1) / 2;
  return [m00, m01, cy - m00 * cy - m01 * cx, m10, m11, cx - m10 * cy - m11 * cx];
}

/** Exact values for cos/sin of multiples of 90 degrees, so right-angle rotations permute pixels exactly. */
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-12 ? r : v;
}

/** Scales each example about its centre by a factor drawn from `factors` (same size out). */
export function randomScale(factors: readonly number[], options: { fill?: number } = {}): Transform {
  if (factors.length === 0 || factors.some((f) => !(f > 0))) fail('USAGE', `randomScale: factors must be positive numbers, got [${factors.join(', ')}].`);
  return geometric(`scale(${Math.min(...factors)}..${Math.max(...factors)})`, (n, h, w, rng) => ({
    h, w, fill: options.fill ?? 0.5,
    maps: Array.from({ length: n }, () => {
      const s = factors[Math.floor(rng.next() * factors.length)]!;
      return aboutCentre(h, w, 1 / s, 0, 0, 1 / s);
    }),
  }));
}

/**
 * Rotates each example about its centre by an angle in degrees drawn from `degrees` (same size out;
 * positive turns the picture counter-clockwise as displayed, rows top to bottom).
 */
export function randomRotate(degrees: readonly number[], options: { fill?: number } = {}): Transform {
  if (degrees.length === 0 || degrees.some((d) => !Number.isFinite(d))) fail('USAGE', `randomRotate: angles must be finite numbers, got [${degrees.join(', ')}].`);
  return geometric(`rotate(${Math.min(...degrees)}..${Math.max(...degrees)})`, (n, h, w, rng) => ({
    h, w, fill: options.fill ?? 0.5,
    maps: Array.from({ length: n }, () => {
      const t = (degrees[Math.floor(rng.next() * degrees.length)]! * Math.PI) / 180;
      const c = snap(Math.cos(t)), s = snap(Math.sin(t));
      // the output at offset (dy, dx) from the centre shows the input at the offset rotated back
      return aboutCentre(h, w, c, s, -s, c);
    }),
  }));
}

/** Centre crop (or constant padding, as far as needed) to exactly h x w: the last step before the model. */
export function fitTo(h: number, w: number, options: { fill?: number } = {}): Transform {
  return geometric(`fit(${h}x${w})`, (n, ih, iw) => {
    const dy = Math.floor((ih - h) / 2), dx = Math.floor((iw - w) / 2);
    return { h, w, maps: Array.from({ length: n }, () => [1, 0, dy, 0, 1, dx] as const), fill: options.fill ?? 0.5 };
  });
}

/** Lucid's `standard_transforms`, scaled to the image size (Lucid's were made for 128 pixels). */
export function standardTransforms(size = 128): Transform[] {
  const k = Math.max(1, size / 128);
  const r = (v: number) => Math.max(1, Math.round(v * k));
  return [
    pad(r(12), { mode: 'constant', value: 0.5 }),
    jitter(r(8)),
    randomScale(Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50)),
    randomRotate([...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0]),
    jitter(r(4)),
  ];
}

