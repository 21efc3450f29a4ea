/**
 * Average Drop and Increase in Confidence (Chattopadhyay et al. 2018, "Grad-CAM++", Sec. 6.1.1):
 * the image is shown through its explanation map, E = x ⊙ M + b ⊙ (1 − M) with M the map's positive
 * part scaled to [0, 1], and the target's probability O_c on E is compared with Y_c on x:
 *   Average Drop % = 100/N Σ max(0, Y_c − O_c) / Y_c,   Increase in Confidence % = 100/N Σ 1[O_c > Y_c].
 * A map that keeps the evidence has a low drop and a high increase. Platform neutral.
 */
import type { HostTensor } from '../runtime/backend.js';

/** The input seen through the map (positive part, scaled by its maximum; an all-zero map hides everything). */
export function explanationMasked(input: HostTensor, map: ArrayLike<number>, layout: 'NCHW' | 'NHWC' = 'NCHW', baseline?: HostTensor): HostTensor {
  const x = input.data as Float32Array;
  const b = (baseline?.data as Float32Array | undefined) ?? new Float32Array(x.length);
  const P = map.length;
  const C = x.length / P;
  let max = 0;
  for (let p = 0; p < P; p++) max = Math.max(max, map[p]!);
  const out = new Float32Array(x.length);
  for (let p = 0; p < P; p++) {
    const m = max > 0 ? Math.max(0, map[p]!) / max : 0;
    for (let c = 0; c < C; c++) {
      const j = layout === 'NCHW' ? c * P + p : p * C + c;
      out[j] = x[j]! * m + b[j]! * (1 - m);
    }
  }
  return { type: 'float32', dims: [...input.dims], data: out };
}

export interface ConfidenceChange {
  /** percent, 0..100 */
  readonly averageDrop: number;
  /** percent of examples whose probability rose, 0..100 */
  readonly increase: number;
}

/** From the probabilities on the inputs (Y) and on the inputs seen through their maps (O). */
export function confidenceChange(original: ArrayLike<number>, masked: ArrayLike<number>): ConfidenceChange {
  const n = original.length;
  let drop = 0;
  let inc = 0;
  for (let i = 0; i < n; i++) {
    const y = original[i]!;
    const o = masked[i]!;
    if (y > 0) drop += Math.max(0, y - o) / y;
    if (o > y) inc++;
  }
  return { averageDrop: n ? (100 * drop) / n : 0, increase: n ? (100 * inc) / n : 0 };
}
