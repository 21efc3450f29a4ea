/**
 * `ablationcam`: Desai & Ramaswamy 2020, "Ablation-CAM: Visual Explanations for Deep Convolutional
 * Network via Gradient-free Localization": channel k of the layer is set to zero and the
 * layers above it run again, giving y_c^k; its weight is the relative drop of the class score,
 *   w_k = (y_c - y_c^k) / y_c,   map = ReLU(sum_k w_k A_k), upsampled bilinearly to the input.
 * y_c is the pre-softmax score of the forward pass. Only the head above the layer runs (fed with the
 * forward pass's activations and, for a layer inside a block, the other tensors the head reads), one
 * ablated copy per example and channel, in chunks under the memory budget. A channel that is already
 * all zero is not rerun (ablating it changes nothing: w_k A_k = 0). Zeroing follows the paper
 * (pytorch-grad-cam instead writes min(A) - 1e7 when the layer has negative values). Dividing by y_c
 * makes the map's sign follow the score's: for a negative score a drop gives negative weights.
 */
import { fail } from '../errors.js';
import { targetScores } from '../model/targets.js';
import { allocHostData, type HostTensor } from '../runtime/backend.js';
import { headForward, headInputs } from './engine.js';
import { inChunks } from './cam-chunks.js';
import { camResult, reluInPlace } from './cam-gradient.js';
import { nchw, weightedSum } from './maps.js';
import type { Method } from './types.js';

export const ablationcamMethod: Method = {
  id: 'ablationcam',
  title: 'Ablation-CAM',
  paper: 'Desai & Ramaswamy 2020, "Ablation-CAM: Visual Explanations for Deep Convolutional Network via Gradient-free Localization": w_k = (y_c - y_c^k) / y_c with channel k zeroed',
  answers: 'How much does the class score drop, relative to itself, when each feature map of the chosen layer is switched off?',
  passes: '1 forward + 1 forward of the layers above the chosen one per channel, batched',
  needsLayer: true,
  usesGradients: false,
  output: 'spatial',
  signed: false,
  units: 'ReLU(sum_k w_k A_k), w_k = (y_c - y_c^k) / y_c',
  exposes: (model, layer) => (layer ? [layer, ...headInputs(model, layer)] : []),
  async explain(ctx) {
    const layer = ctx.layer ?? fail('USAGE', 'ablationcam needs a layer.');
    const a = ctx.forward.tensors[layer] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${layer}'.`);
    const [n, c, h, w] = nchw(a, `the layer '${layer}'`);
    const hw = h * w;
    const act = a.data as Float32Array;
    const names = headInputs(ctx.model, layer);
    const others = names.slice(1).map((name) => {
      const t = ctx.forward.tensors[name] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${name}', which the head above '${layer}' reads.`);
      if (t.dims[0] !== n) fail('SHAPE', `'${name}', which the head above '${layer}' reads, has dims [${t.dims.join(', ')}] without the batch of ${n}; choose a layer whose head reads only per-example tensors.`);
      return { name, t, per: t.data.length / n };
    });
    const base = targetScores(ctx.model, ctx.forward.logits.data as Float32Array, ctx.targets);
    base.forEach((y, b) => {
      if (y === 0) fail('INPUT_VALUE', `example ${b}'s target score is exactly 0, and Ablation-CAM divides by it; explain another class or use scorecam.`);
    });

    // copy i = (example, channel) for the channels that are not all zero, example-major
    const copies: [number, number][] = [];
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < c; k++) {
        const ch = act.subarray((b * c + k) * hw, (b * c + k + 1) * hw);
        if (ch.some((v) => v !== 0)) copies.push([b, k]);
      }
    }
    const perCopy = (c * hw + others.reduce((s, o) => s + o.per, 0)) * 4;
    const weights = new Float64Array(n * c);
    await inChunks(copies.length, perCopy, ctx, async (start, count, opts) => {
      const layerCopies = new Float32Array(count * c * hw);
      const otherCopies = others.map((o) => allocHostData(o.t.type, count * o.per));
      for (let j = 0; j < count; j++) {
        const [b, k] = copies[start + j]!;
        const dst = layerCopies.subarray(j * c * hw, (j + 1) * c * hw);
        dst.set(act.subarray(b * c * hw, (b + 1) * c * hw));
        dst.fill(0, k * hw, (k + 1) * hw);
        others.forEach((o, i) => (otherCopies[i] as Float32Array).set((o.t.data as Float32Array).subarray(b * o.per, (b + 1) * o.per), j * o.per));
      }
      const feeds: Record<string, HostTensor> = { [layer]: { type: 'float32', dims: [count, c, h, w], data: layerCopies } };
      others.forEach((o, i) => (feeds[o.name] = { type: o.t.type, dims: [count, ...o.t.dims.slice(1)], data: otherCopies[i]! }));
      const logits = await headForward(ctx.model, layer, feeds, opts);
      const chunk = copies.slice(start, start + count);
      const ablated = targetScores(ctx.model, logits.data as Float32Array, chunk.map(([b]) => ctx.targets[b]!));
      chunk.forEach(([b, k], j) => (weights[b * c + k] = (base[b]! - ablated[j]!) / base[b]!));
    });
    return camResult(reluInPlace(weightedSum(a, weights)), ctx.model.input);
  },
};
