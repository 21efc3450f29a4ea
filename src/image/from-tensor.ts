/**
 * The inverse of preprocessing: a model input tensor back to the 8-bit picture it encodes, so inputs
 * given as .npy can be shown under their heatmaps. pixel = 255 * ((x * std + mean) - lo) / (hi - lo),
 * rounded and clamped; a grayscale input is shown as grey RGB.
 */
import type { HostTensor } from '../runtime/backend.js';
import type { InputSpec } from '../model/input-spec.js';
import type { RgbImage } from './types.js';

export function tensorToImage(t: HostTensor, example: number, spec: InputSpec): RgbImage {
  const { height: h, width: w, channels: c } = spec;
  const [lo, hi] = spec.range;
  const data = t.data as Float32Array | Float64Array;
  const base = example * c * h * w;
  const out = new Uint8Array(w * h * 3);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) {
      const ch = c === 1 ? 0 : k;
      const x = spec.layout === 'NCHW' ? data[base + ch * h * w + p]! : data[base + p * c + ch]!;
      const v = x * (spec.std?.[ch] ?? 1) + (spec.mean?.[ch] ?? 0);
      out[p * 3 + k] = Math.max(0, Math.min(255, Math.round((255 * (v - lo)) / (hi - lo))));
    }
  }
  return { width: w, height: h, data: out };
}
