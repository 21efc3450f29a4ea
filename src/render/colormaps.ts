/**
 * Colormaps as 256-entry RGB lookup tables. Index i is the colour of the value i / 255 in [0, 1].
 * Sequential: viridis, inferno (perceptually uniform; good defaults), turbo and jet (rainbow; jet is
 * kept because papers and users expect it, not because it is good). Diverging, for signed maps with
 * 0 at the centre: coolwarm (Moreland) and rdbu (ColorBrewer RdBu reversed: blue, white, red).
 */
import { fail } from '../errors.js';
import { COOLWARM, INFERNO, TURBO, VIRIDIS } from './colormap-tables.js';

export const COLORMAP_NAMES = ['viridis', 'inferno', 'turbo', 'jet', 'coolwarm', 'rdbu'] as const;
export type ColormapName = (typeof COLORMAP_NAMES)[number];

export interface Colormap {
  readonly name: ColormapName;
  /** 256 * 3 bytes: R, G, B of entry i at offset 3i */
  readonly lut: Uint8Array;
  /** true when the middle of the map stands for zero (use with signed maps and a symmetric domain) */
  readonly diverging: boolean;
}

function fromHex(hex: string): Uint8Array {
  const lut = new Uint8Array(hex.length / 2);
  for (let i = 0; i < lut.length; i++) lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return lut;
}

/** Piecewise-linear channel given as [x, value] anchors with x increasing from 0 to 1. */
type Segments = readonly (readonly [number, number])[];

function piecewise(segments: Segments, x: number): number {
  for (let k = 1; k < segments.length; k++) {
    const [x1, v1] = segments[k]!;
    if (x <= x1) {
      const [x0, v0] = segments[k - 1]!;
      return x1 === x0 ? v1 : v0 + ((x - x0) / (x1 - x0)) * (v1 - v0);
    }
  }
  return segments[segments.length - 1]![1];
}

function fromSegments(r: Segments, g: Segments, b: Segments): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    lut[i * 3] = Math.round(255 * piecewise(r, x));
    lut[i * 3 + 1] = Math.round(255 * piecewise(g, x));
    lut[i * 3 + 2] = Math.round(255 * piecewise(b, x));
  }
  return lut;
}

/** Evenly spaced anchor colours (0..255 each), interpolated linearly. */
function fromAnchors(colors: readonly (readonly [number, number, number])[]): Uint8Array {
  const at = (c: number): Segments => colors.map((col, k) => [k / (colors.length - 1), col[c]! / 255] as const);
  return fromSegments(at(0), at(1), at(2));
}

// MATLAB's jet as matplotlib defines it (anchors of each channel)
const JET_R: Segments = [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]];
const JET_G: Segments = [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]];
const JET_B: Segments = [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]];

// ColorBrewer RdBu (11 classes), from blue to red
const RDBU: readonly (readonly [number, number, number])[] = [
  [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
];

const BUILD: Readonly<Record<ColormapName, () => Uint8Array>> = {
  viridis: () => fromHex(VIRIDIS),
  inferno: () => fromHex(INFERNO),
  turbo: () => fromHex(TURBO),
  jet: () => fromSegments(JET_R, JET_G, JET_B),
  coolwarm: () => fromHex(COOLWARM),
  rdbu: () => fromAnchors(RDBU),
};

const DIVERGING: ReadonlySet<ColormapName> = new Set(['coolwarm', 'rdbu']);
const cache = new Map<ColormapName, Colormap>();

export function isColormapName(name: string): name is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(name);
}

/** The colormap called `name`; an unknown name is a USAGE error that lists the known ones. */
export function colormap(name: string): Colormap {
  if (!isColormapName(name)) {
    fail('USAGE', `unknown colormap '${name}'; colormaps are: ${COLORMAP_NAMES.join(', ')}.`);
  }
  let map = cache.get(name);
  if (map === undefined) {
    map = Object.freeze({ name, lut: BUILD[name](), diverging: DIVERGING.has(name) });
    cache.set(name, map);
  }
  return map;
}

/** LUT index of a value in [0, 1] (clamped): round(255 t). */
export function colormapIndex(t: number): number {
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
}

/** The colour of t in [0, 1] (clamped). */
export function colorAt(map: Colormap, t: number): [number, number, number] {
  const i = colormapIndex(t) * 3;
  return [map.lut[i]!, map.lut[i + 1]!, map.lut[i + 2]!];
}

/** The colormap used when none is named: diverging for signed display ('all'), turbo otherwise. */
export function defaultColormapFor(sign: 'positive' | 'negative' | 'absolute' | 'all'): ColormapName {
  return sign === 'all' ? 'rdbu' : 'turbo';
}
