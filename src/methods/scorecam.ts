/**
 * `scorecam`: Wang et al. 2020, "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural
 * Networks", Sec. 3 and Algorithm 1. Each channel A_k of the layer is upsampled bilinearly to the
 * input's resolution and min-max normalized to [0, 1], H_k = s(Up(A_k)) (a constant channel gives
 * H_k = 0); the model runs on the masked input x ⊙ H_k, and
 *   alpha_k = softmax_k( y_c(x ⊙ H_k) ),   map = ReLU(sum_k alpha_k A_k), upsampled to the input.
 * The paper's "increase of confidence" y_c(x ⊙ H_k) - y_c(x_b) differs from y_c(x ⊙ H_k) by a term
 * that is the same for every channel, which a softmax over channels cancels, so no baseline pass is
 * needed; y_c is the pre-softmax score, as in pytorch-grad-cam. "Multiplying with the image" follows
 * pytorch-grad-cam too: the model's input tensor (after mean/std normalization) is multiplied by the
 * mask, so hidden pixels become 0 in the model's input space (the dataset mean colour for mean/std
 * inputs, not black). Masks use half-pixel-centred upsampling, like every CAM map here
 * (pytorch-grad-cam's masks use align_corners=True). `--scorecam-top N` keeps only the N channels
 * with the largest mean activation (ties: lower index first); the others get no pass and weight 0.
 * Passes run in chunks under the memory budget. Use it for a gradient-free CAM of any CNN.
 */
import { fail } from '../errors.js';
import { upsampleBilinear } from '../render/upsample.js';
import { targetScores } from '../model/targets.js';
import { forward } from './engine.js';
import { inChunks } from './cam-chunks.js';
import { camResult, reluInPlace } from './cam-gradient.js';
import { nchw, weightedSum } from './maps.js';
import type { Method } from './types.js';

/** Per example, the channels kept: all, or the `top` with the largest mean activation (ties: lower index). */
export function channelsByMeanActivation(act: Float32Array, channels: number, positions: number, top: number): number[] {
  const all = Array.from({ length: channels }, (_, k) => k);
  if (top <= 0 || top >= channels) return all;
  const means = all.map((k) => {
    let s = 0;
    for (let p = 0; p < positions; p++) s += act[k * positions + p]!;
    return s / positions;
  });
  return all.sort((i, j) => means[j]! - means[i]! || i - j).slice(0, top).sort((i, j) => i - j);
}

export const scorecamMethod: Method = {
  id: 'scorecam',
  title: 'Score-CAM',
  paper: 'Wang et al. 2020, "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks", Algorithm 1: alpha_k = softmax_k(y_c(x * s(Up(A_k))))',
  answers: 'Which regions of the chosen layer\'s feature maps, shown to the model alone, raise the class score most?',
  passes: '1 forward + 1 forward per channel of the layer (or per --scorecam-top channel), batched',
  needsLayer: true,
  usesGradients: false,
  output: 'spatial',
  signed: false,
  units: 'ReLU(sum_k alpha_k A_k), alpha = softmax over channels of y_c(x * H_k)',
  options: [
    { name: 'scorecam-top', type: 'integer', default: 0, min: 0, help: 'use only the N channels with the largest mean activation, one forward pass each; 0 uses all channels' },
  ],
  exposes: (_model, layer) => (layer ? [layer] : []),
  async explain(ctx) {
    const layer = ctx.layer ?? fail('USAGE', 'scorecam needs a layer.');
    const a = ctx.forward.tensors[layer] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${layer}'.`);
    const [n, c, h, w] = nchw(a, `the layer '${layer}'`);
    const spec = ctx.model.input;
    const { height: H, width: W, channels: C } = spec;
    const hw = h * w;
    const elems = C * H * W;
    const act = a.data as Float32Array;
    const input = ctx.input.data as Float32Array;
    const top = ctx.options['scorecam-top'] as number;

    // copy i = (example, channel) in example-major order
    const copies: [number, number][] = [];
    for (let b = 0; b < n; b++) for (const k of channelsByMeanActivation(act.subarray(b * c * hw, (b + 1) * c * hw), c, hw, top)) copies.push([b, k]);
    const scores = new Float64Array(copies.length);
    const dims = spec.layout === 'NCHW' ? [C, H, W] : [H, W, C];
    await inChunks(copies.length, elems * 4, ctx, async (start, count, opts) => {
      const buffer = new Float32Array(count * elems);
      for (let j = 0; j < count; j++) {
        const [b, k] = copies[start + j]!;
        const mask = upsampleBilinear(act.subarray((b * c + k) * hw, (b * c + k + 1) * hw), h, w, H, W);
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of mask) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const range = hi - lo;
        for (let q = 0; q < mask.length; q++) mask[q] = range > 0 ? (mask[q]! - lo) / range : 0;
        const x = input.subarray(b * elems, (b + 1) * elems);
        const dst = buffer.subarray(j * elems, (j + 1) * elems);
        for (let e = 0; e < elems; e++) dst[e] = x[e]! * mask[spec.layout === 'NCHW' ? e % (H * W) : Math.floor(e / C)]!;
      }
      const out = await forward(ctx.model, { type: 'float32', dims: [count, ...dims], data: buffer }, [], opts);
      const s = targetScores(ctx.model, out.logits.data as Float32Array, copies.slice(start, start + count).map(([b]) => ctx.targets[b]!));
      s.forEach((v, j) => (scores[start + j] = v));
    });

    // softmax over each example's channels
    const weights = new Float64Array(n * c);
    for (let b = 0, i = 0; b < n; b++) {
      let end = i;
      while (end < copies.length && copies[end]![0] === b) end++;
      let max = -Infinity;
      for (let j = i; j < end; j++) max = Math.max(max, scores[j]!);
      let sum = 0;
      for (let j = i; j < end; j++) sum += Math.exp(scores[j]! - max);
      for (let j = i; j < end; j++) weights[b * c + copies[j]![1]] = Math.exp(scores[j]! - max) / sum;
      i = end;
    }
    if (!weights.every(Number.isFinite)) fail('INPUT_VALUE', 'a masked input gave a non-finite score, so the Score-CAM weights are undefined.');
    return camResult(reluInPlace(weightedSum(a, weights)), spec);
  },
};
