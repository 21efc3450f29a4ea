/**
 * `cam`: Class Activation Mapping, Zhou et al. 2016, "Learning Deep Features for Discriminative
 * Localization", Eq. 2: M_c(x, y) = sum_k w_k^c f_k(x, y), for a model whose last feature map f feeds
 * global average pooling and one linear layer with weights w. The map is upsampled bilinearly to the
 * input's resolution; it is signed (no ReLU in the paper). A model without that structure gets an error.
 */
import { fail } from '../errors.js';
import { linearHeadAfter } from '../model/linear-head.js';
import { toInputResolution, weightedSum } from './maps.js';
import type { Method } from './types.js';

export const camMethod: Method = {
  id: 'cam',
  title: 'CAM',
  paper: 'Zhou et al. 2016, "Learning Deep Features for Discriminative Localization", Eq. 2: M_c = sum_k w_k^c f_k',
  answers: 'Where in the last feature map is the evidence the linear classifier weighs for the class?',
  passes: '1 forward',
  needsLayer: true,
  usesGradients: false,
  output: 'spatial',
  signed: true,
  units: 'sum_k w_k A_k',
  exposes: (_model, layer) => (layer ? [layer] : []),
  async explain(ctx) {
    const layer = ctx.layer ?? fail('USAGE', 'cam needs a layer.');
    const head = linearHeadAfter(ctx.model, layer);
    const a = ctx.forward.tensors[layer] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${layer}'.`);
    const n = ctx.targets.length;
    const weights = new Float64Array(n * head.channels);
    ctx.targets.forEach((t, b) => {
      const terms: [number, number][] = t.minus === undefined ? [[t.index, 1]] : [[t.index, 1], [t.minus, -1]];
      for (const [cls, w] of terms) {
        // a single-sigmoid head explains class 0 as -logit, so its map is the negated class-1 map
        const [unit, sign] = ctx.model.output.kind === 'sigmoid-binary' ? [0, cls === 1 ? 1 : -1] : [cls, 1];
        for (let k = 0; k < head.channels; k++) weights[b * head.channels + k] = weights[b * head.channels + k]! + w * sign * head.weights[k * head.units + unit]!;
      }
    });
    const cam = weightedSum(a, weights);
    return { map: toInputResolution(cam, ctx.model.input), layerMap: cam };
  },
};
