/**
 * Raw attribution maps to display values in [0, 1], as an explicit render step (methods return raw,
 * signed maps). Every result carries the domain used, in the map's own units, so a colorbar can say
 * what its ends mean.
 *
 * Sign (applied first): 'positive' keeps max(v, 0); 'negative' keeps min(v, 0); 'absolute' uses |v|;
 * 'all' keeps v. Then, with a domain [lo, hi] (raw values shown at 0 and at 1):
 *     out = clamp((u - lo) / (hi - lo), 0, 1)
 * The domain comes from `mode`:
 *   'per-image'  each map its own domain; 'shared'  one domain over all maps given (several images,
 *   several methods: colours become comparable); 'raw'  the caller's [lo, hi].
 * Automatic domains use top = the `percentile`-th percentile (NumPy's linear interpolation) of the
 * magnitudes the sign mode keeps (max(v,0), max(-v,0), |v|, |v|), over every pixel:
 *   positive → [0, top]; negative → [0, -top]; absolute → [0, top]; all → [-top, top] (0 maps to 0.5,
 *   for a diverging colormap). A map with top = 0 (nothing to show) maps to 0 ('all': 0.5).
 */
import { fail } from '../errors.js';

export type NormalizeMode = 'per-image' | 'shared' | 'raw';
export type SignMode = 'positive' | 'negative' | 'absolute' | 'all';

/** A single-channel map, row-major [height, width]. */
export interface RawMap {
  readonly data: ArrayLike<number>;
  readonly dims: readonly [number, number];
}

export interface NormalizeOptions {
  /** how the domain is chosen; default 'per-image' */
  readonly mode?: NormalizeMode;
  /** which part of the signal to show; default 'all' */
  readonly sign?: SignMode;
  /** percentile (0 < p <= 100) of the kept magnitudes that maps to the end of the scale; default 100 (the maximum) */
  readonly percentile?: number;
  /** [lo, hi] in the map's units, shown at 0 and 1; required with mode 'raw', refused otherwise */
  readonly domain?: readonly [number, number];
}

export interface DisplayMap {
  /** values in [0, 1], row-major [height, width] */
  readonly values: Float32Array;
  readonly dims: readonly [number, number];
  /** raw values shown at 0 and at 1 */
  readonly domain: readonly [number, number];
  readonly sign: SignMode;
}

export const SIGN_MODES: readonly SignMode[] = ['positive', 'negative', 'absolute', 'all'];
export const NORMALIZE_MODES: readonly NormalizeMode[] = ['per-image', 'shared', 'raw'];

/** The p-th percentile (0..100) of `values`, interpolating linearly between ranks (NumPy's default). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) fail('INPUT_VALUE', 'percentile of an empty set of values.');
  const sorted = Float64Array.from(values).sort();
  const pos = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

function checkMap(map: RawMap, index: number): void {
  const [h, w] = map.dims;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || map.data.length !== h * w) {
    fail('INPUT_SHAPE', `map ${index}: dims [${map.dims.join(', ')}] do not match its ${map.data.length} values.`);
  }
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i]!;
    if (!Number.isFinite(v)) {
      fail('INPUT_VALUE', `map ${index} holds ${v} at row ${Math.floor(i / w)}, column ${i % w}: the method produced non-finite values; check the input and the model for NaN/Inf.`);
    }
  }
}

function magnitudes(maps: readonly RawMap[], sign: SignMode): Float64Array {
  let n = 0;
  for (const m of maps) n += m.data.length;
  const out = new Float64Array(n);
  let k = 0;
  for (const m of maps) {
    for (let i = 0; i < m.data.length; i++) {
      const v = m.data[i]!;
      out[k++] = sign === 'positive' ? Math.max(v, 0) : sign === 'negative' ? Math.max(-v, 0) : Math.abs(v);
    }
  }
  return out;
}

function autoDomain(maps: readonly RawMap[], sign: SignMode, p: number): readonly [number, number] {
  const top = percentile(magnitudes(maps, sign), p);
  return sign === 'all' ? [-top, top] : sign === 'negative' ? [0, -top] : [0, top];
}

function apply(map: RawMap, sign: SignMode, domain: readonly [number, number]): DisplayMap {
  const [lo, hi] = domain;
  const values = new Float32Array(map.data.length);
  if (hi === lo) {
    values.fill(sign === 'all' ? 0.5 : 0);
  } else {
    const inv = 1 / (hi - lo);
    for (let i = 0; i < values.length; i++) {
      const v = map.data[i]!;
      const u = sign === 'positive' ? Math.max(v, 0) : sign === 'negative' ? Math.min(v, 0) : sign === 'absolute' ? Math.abs(v) : v;
      const t = (u - lo) * inv;
      values[i] = t <= 0 ? 0 : t >= 1 ? 1 : t;
    }
  }
  return { values, dims: [map.dims[0], map.dims[1]], domain: [lo, hi], sign };
}

/** Normalizes each map for display; see the file header for the exact rules. */
export function normalizeMaps(maps: readonly RawMap[], options: NormalizeOptions = {}): DisplayMap[] {
  const mode = options.mode ?? 'per-image';
  const sign = options.sign ?? 'all';
  const p = options.percentile ?? 100;
  if (!NORMALIZE_MODES.includes(mode)) fail('USAGE', `unknown normalization mode '${mode}'; modes are: ${NORMALIZE_MODES.join(', ')}.`);
  if (!SIGN_MODES.includes(sign)) fail('USAGE', `unknown sign mode '${sign}'; sign modes are: ${SIGN_MODES.join(', ')}.`);
  if (!(p > 0 && p <= 100)) fail('USAGE', `percentile must lie in (0, 100], got ${p}.`);
  if (mode === 'raw') {
    const d = options.domain;
    if (d === undefined || d.length !== 2 || !d.every(Number.isFinite) || d[0] === d[1]) {
      fail('USAGE', `normalization 'raw' needs a domain [lo, hi] of two different finite numbers${d ? `, got [${d.join(', ')}]` : ''}.`);
    }
  } else if (options.domain !== undefined) {
    fail('USAGE', `a domain is given only with normalization 'raw' (mode is '${mode}').`);
  }
  maps.forEach(checkMap);
  if (mode === 'raw') return maps.map((m) => apply(m, sign, options.domain!));
  if (mode === 'shared') {
    if (maps.length === 0) return [];
    const domain = autoDomain(maps, sign, p);
    return maps.map((m) => apply(m, sign, domain));
  }
  return maps.map((m) => apply(m, sign, autoDomain([m], sign, p)));
}

/** One map, normalized on its own ('per-image') or to a given domain ('raw'). */
export function normalizeMap(map: RawMap, options: NormalizeOptions = {}): DisplayMap {
  return normalizeMaps([map], options)[0]!;
}
