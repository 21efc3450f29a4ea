/**
 * `eigencam`: Muhammad & Yeasin 2020, "Eigen-CAM: Class Activation Map using Principal Components":
 * the projection of the layer's activations on their first principal component, L = X v_1, where the
 * rows of X are the activation vectors (one per position of the layer, centred by each channel's
 * mean over positions, as pytorch-grad-cam does) and v_1 is X's first right singular vector (see
 * cam-pca.ts). A principal component has no sign of its own; the sign is chosen so that the map
 * correlates positively with the sum of the activations over channels (an all-tie keeps the sign
 * that makes the largest magnitude positive). The map is signed and unclipped (pytorch-grad-cam
 * clips negatives). Class-agnostic: it shows what the layer responds to most, not why a class won;
 * one forward pass, no gradients. Use it as a quick, gradient-free look at the dominant pattern.
 */
import { fail } from '../errors.js';
import { camResult } from './cam-gradient.js';
import { firstComponentProjection } from './cam-pca.js';
import { nchw } from './maps.js';
import type { Method } from './types.js';

export const eigencamMethod: Method = {
  id: 'eigencam',
  title: 'Eigen-CAM',
  paper: 'Muhammad & Yeasin 2020, "Eigen-CAM: Class Activation Map using Principal Components": L = X v_1, the projection of the (centred) activations on their first principal component',
  answers: 'What spatial pattern dominates the chosen layer\'s activations (whatever the class)?',
  passes: '1 forward',
  needsLayer: true,
  usesGradients: false,
  output: 'spatial',
  signed: true,
  units: 'projection on the 1st principal component',
  exposes: (_model, layer) => (layer ? [layer] : []),
  async explain(ctx) {
    const layer = ctx.layer ?? fail('USAGE', 'eigencam needs a layer.');
    const a = ctx.forward.tensors[layer] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${layer}'.`);
    const [n, c, h, w] = nchw(a, `the layer '${layer}'`);
    const hw = h * w;
    const data = a.data as Float32Array;
    const out = new Float32Array(n * hw);
    for (let b = 0; b < n; b++) {
      ctx.signal?.throwIfAborted();
      const act = data.subarray(b * c * hw, (b + 1) * c * hw);
      const proj = firstComponentProjection(act, c, hw);
      // the projection has zero mean, so its covariance with sum_k A_k is sum_p proj(p) sum_k A_k(p)
      let cov = 0;
      let biggest = 0;
      for (let p = 0; p < hw; p++) {
        let s = 0;
        for (let k = 0; k < c; k++) s += act[k * hw + p]!;
        cov += proj[p]! * s;
        if (Math.abs(proj[p]!) > Math.abs(biggest)) biggest = proj[p]!;
      }
      const sign = cov < 0 || (cov === 0 && biggest < 0) ? -1 : 1;
      for (let p = 0; p < hw; p++) out[b * hw + p] = sign * proj[p]!;
    }
    return camResult({ type: 'float32', dims: [n, h, w], data: out }, ctx.model.input);
  },
};
