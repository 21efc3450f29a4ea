/** Small array helpers the methods share: channel reductions and upsampling of [N, h, w] maps. */
import { fail } from '../errors.js';
import type { HostTensor } from '../runtime/backend.js';
import { upsampleBilinear } from '../render/upsample.js';
import type { InputSpec } from '../model/input-spec.js';

/** [N, C, h, w] dims of a feature map (feature maps are NCHW in cnnlens graphs). */
export function nchw(t: HostTensor, what: string): [number, number, number, number] {
  if (t.dims.length !== 4) fail('SHAPE', `${what} has shape [${t.dims.join(', ')}]; a 4-D feature map [N, C, H, W] is needed.`);
  return t.dims as [number, number, number, number];
}

/** Per example, the reduction over channels of an input-shaped tensor, as [N, H, W]. */
export function reduceChannels(t: HostTensor, spec: InputSpec, f: (acc: number, v: number) => number, init: number): HostTensor {
  const data = t.data as Float32Array;
  const [n] = t.dims as [number];
  const { height: h, width: w, channels: c } = spec;
  const out = new Float32Array(n * h * w).fill(init);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) {
        const v = spec.layout === 'NCHW' ? data[(b * c + ch) * h * w + p]! : data[(b * h * w + p) * c + ch]!;
        const o = b * h * w + p;
        out[o] = f(out[o]!, v);
      }
    }
  }
  return { type: 'float32', dims: [n, h, w], data: out };
}

/** Bilinearly resizes each map of [N, h, w] to the input's resolution. */
export function toInputResolution(maps: HostTensor, spec: InputSpec): HostTensor {
  const [n, h, w] = maps.dims as [number, number, number];
  const H = spec.height;
  const W = spec.width;
  const out = new Float32Array(n * H * W);
  const data = maps.data as Float32Array;
  for (let b = 0; b < n; b++) out.set(upsampleBilinear(data.subarray(b * h * w, (b + 1) * h * w), h, w, H, W), b * H * W);
  return { type: 'float32', dims: [n, H, W], data: out };
}

/** Per example and channel, the spatial mean of a [N, C, h, w] tensor: [N * C]. */
export function spatialMeans(t: HostTensor): Float64Array {
  const [n, c, h, w] = nchw(t, 'the gradient');
  const data = t.data as Float32Array;
  const out = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let s = 0;
    for (let p = 0; p < h * w; p++) s += data[i * h * w + p]!;
    out[i] = s / (h * w);
  }
  return out;
}

/** Per example, sum_k weights[b, k] * A[b, k] over channels: [N, h, w]. */
export function weightedSum(a: HostTensor, weights: Float64Array): HostTensor {
  const [n, c, h, w] = nchw(a, 'the layer');
  const data = a.data as Float32Array;
  const acc = new Float64Array(n * h * w);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const wk = weights[b * c + k]!;
      if (wk === 0) continue;
      const src = (b * c + k) * h * w;
      const dst = b * h * w;
      for (let p = 0; p < h * w; p++) acc[dst + p] = acc[dst + p]! + wk * data[src + p]!;
    }
  }
  return { type: 'float32', dims: [n, h, w], data: Float32Array.from(acc) };
}
