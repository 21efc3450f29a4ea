/**
 * `rise`: Randomized Input Sampling for Explanation, Petsiuk, Das & Saenko 2018, "RISE: Randomized Input
 * Sampling for Explanation of Black-box Models", Eq. 6:
 *   S(lambda) = 1 / (N p) * sum_i f(x . M_i) M_i(lambda)
 * with N random masks M_i drawn as in Sec. 3.2 (see perturb-masks.ts: a `mask-cells` grid kept with
 * probability `mask-p`, bilinearly upsampled, randomly shifted) and f the target class's probability, as
 * in the paper (p_a - p_b for a difference target). A masked input is x . M + b . (1 - M), where b is
 * black: pixel 0 mapped through the InputSpec (so a model with normalized inputs sees true black, not
 * zero, where the mask is 0). The same masks serve every example of the batch; `seed` fixes them.
 * Use it for a gradient-free map of any black-box classifier; the error falls as 1/sqrt(masks).
 */
import { fail } from '../errors.js';
import { Random } from '../util/random.js';
import { pixelToInput, strides } from './perturb-fill.js';
import { drawMask } from './perturb-masks.js';
import { copiesPerChunk, runCopies, targetProbability } from './perturb-run.js';
import type { Method } from './types.js';

export const riseMethod: Method = {
  id: 'rise',
  title: 'RISE',
  paper: 'Petsiuk, Das & Saenko 2018, "RISE: Randomized Input Sampling for Explanation of Black-box Models", Eq. 6: S = 1/(N p) sum_i f(x . M_i) M_i',
  answers: 'How likely is the class, on average, when each pixel is kept visible and the rest randomly hidden?',
  passes: '1 forward per mask (--masks, default 2000)',
  needsLayer: false,
  usesGradients: false,
  output: 'spatial',
  signed: false,
  display: 'min-max',
  units: 'E[p_c(x . M) M] / p',
  options: [
    { name: 'masks', type: 'integer', default: 2000, min: 1, help: 'number of random masks, one forward pass each (default 2000)' },
    { name: 'mask-cells', type: 'integer', default: 7, min: 1, help: 'cells per side of the random grid each mask is upsampled from (default 7)' },
    { name: 'mask-p', type: 'number', default: 0.5, min: 0, max: 1, help: 'probability that a grid cell is kept, above 0 and at most 1 (default 0.5)' },
    { name: 'seed', type: 'integer', default: 0, min: 0, help: 'seed of the random numbers (default 0)' },
  ],
  exposes: () => [],
  async explain(ctx) {
    const spec = ctx.model.input;
    const masks = ctx.options['masks'] as number;
    const cells = ctx.options['mask-cells'] as number;
    const p = ctx.options['mask-p'] as number;
    const seed = ctx.options['seed'] as number;
    const { height: h, width: w, channels } = spec;
    if (!(p > 0)) fail('USAGE', `--mask-p must be above 0 (the probability a grid cell is kept), got ${p}.`);
    const n = ctx.targets.length;
    const elems = channels * h * w;
    const input = ctx.input.data as Float32Array;
    const black = pixelToInput(spec, 0);
    const { channel: cs, pixel: ps } = strides(spec);

    // copy i = mask floor(i / n) applied to example i % n; the chunk's masks are kept until its scores arrive
    const random = new Random(seed);
    const geometry = { height: h, width: w, cells, p };
    const chunkMasks = Math.ceil(copiesPerChunk(ctx.model, ctx, masks * n) / n) + 1;
    const ring = Array.from({ length: Math.min(masks, chunkMasks) }, () => new Float32Array(h * w));
    const maskOf = (m: number) => ring[m % ring.length]!;
    let drawn = 0;
    const sums = new Float64Array(n * h * w);
    await runCopies(ctx.model, ctx, masks * n, (i, dst) => {
      const m = Math.floor(i / n);
      const b = i % n;
      if (m === drawn) drawMask(geometry, random, maskOf(drawn++));
      const mask = maskOf(m);
      const x = input.subarray(b * elems, (b + 1) * elems);
      for (let c = 0; c < channels; c++) {
        const base = black[c]!;
        for (let q = 0; q < h * w; q++) {
          const e = c * cs + q * ps;
          dst[e] = base + (x[e]! - base) * mask[q]!;
        }
      }
    }, (i, logits) => {
      const m = Math.floor(i / n);
      const b = i % n;
      const score = targetProbability(ctx.model, logits, ctx.targets[b]!);
      const mask = maskOf(m);
      const out = b * h * w;
      for (let q = 0; q < h * w; q++) sums[out + q] = sums[out + q]! + score * mask[q]!;
    });
    const map = Float32Array.from(sums, (v) => v / (masks * p));
    return { map: { type: 'float32', dims: [n, h, w], data: map } };
  },
};
