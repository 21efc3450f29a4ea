/**
 * `deeplift`: DeepLIFT with the rescale rule (Shrikumar, Greenside & Kundaje 2017, "Learning Important
 * Features Through Propagating Activation Differences", Sec. 3.5.2 and Eq. 1): the attribution of each
 * input value is C = (x - x0) * m, where the multipliers m are propagated backwards like a gradient
 * except that every elementwise nonlinearity's derivative is replaced by its secant
 * (y - y0) / (x - x0) between the input's and the reference's activations (rules/rescale.ts).
 * Summation-to-delta: sum C = F(x) - F(x0) for the explained score F; the residual is returned as
 * `delta` for every example (float rounding only, unless --deeplift-maxpool gradient is chosen).
 * The input and its reference run as one batch [x; x0] so each rule reads its partner's activations;
 * max pooling distributes the output difference to the winning positions (as Captum does), or, with
 * --deeplift-maxpool gradient, passes the gradient (the DeepLIFT code's default; breaks summation).
 * References are the baselines of src/methods/baselines.ts that need no further option.
 */
import { fail } from '../errors.js';
import { bytesPerExample } from '../autodiff/gradient-job.js';
import type { RuleSetName } from '../autodiff/rulesets.js';
import type { HostTensor } from '../runtime/backend.js';
import { DEFAULT_MEMORY_BUDGET_BYTES } from '../runtime/batch.js';
import { targetScores } from '../model/targets.js';
import { Random } from '../util/random.js';
import { makeBaseline, type BaselineKind } from './baselines.js';
import { forward, inputGradient } from './engine.js';
import type { Method } from './types.js';

const REFERENCES = ['black', 'white', 'zeros', 'blurred'] as const satisfies readonly BaselineKind[];
const MAXPOOL = ['rescale', 'gradient'] as const;

export const deepliftMethod: Method = {
  id: 'deeplift',
  title: 'DeepLIFT (rescale)',
  paper: 'Shrikumar, Greenside & Kundaje 2017, "Learning Important Features Through Propagating Activation Differences", Sec. 3.5.2: m = (y - y0)/(x - x0) at nonlinearities, C = (x - x0) m',
  answers: 'How much did each input value contribute to the difference between the score of the image and that of the reference?',
  passes: '1 forward + 1 backward of the input and its reference together (a batch twice the size), 1 forward of the reference',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'contribution to logit(x) - logit(x0)',
  options: [
    { name: 'deeplift-baseline', type: 'enum', default: 'black', choices: REFERENCES, help: 'the reference input x0: black (pixel 0), white (pixel 255), zeros (0 in the model\'s input space), blurred (the image blurred, sigma = max(H, W)/20) (default black)' },
    { name: 'deeplift-maxpool', type: 'enum', default: 'rescale', choices: MAXPOOL, help: 'max pooling\'s rule: rescale (the output difference goes to the winning positions; keeps summation-to-delta) or gradient (the DeepLIFT code\'s default; does not) (default rescale)' },
  ],
  exposes: () => [],
  async explain(ctx) {
    const { model, input } = ctx;
    const n = input.dims[0]!;
    const per = input.data.length / n;
    const kind = ctx.options['deeplift-baseline'] as BaselineKind;
    const rules: RuleSetName = ctx.options['deeplift-maxpool'] === 'gradient' ? 'rescale-maxpool-gradient' : 'rescale';
    const reference = makeBaseline({ kind }, { spec: model.input, input, random: new Random(0) });
    const x = input.data as Float32Array;
    const x0 = reference.data as Float32Array;

    // Pairs must stay together in one runtime call, so this method chunks the batch itself (pairs
    // per chunk from the memory budget; the rescale rules keep about as many tensors again as the
    // gradient) and the engine runs each chunk whole.
    const budget = ctx.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    const perPair = 2 * 2 * bytesPerExample(model.shapes);
    const pairs = Math.max(1, Math.min(n, Math.floor(budget / perPair)));
    const attr = new Float32Array(x.length);
    const sums = new Float64Array(n);
    for (let start = 0; start < n; start += pairs) {
      ctx.signal?.throwIfAborted();
      const end = Math.min(n, start + pairs);
      const k = end - start;
      const both = new Float32Array(2 * k * per);
      both.set(x.subarray(start * per, end * per), 0);
      both.set(x0.subarray(start * per, end * per), k * per);
      const targets = ctx.targets.slice(start, end);
      const m = await inputGradient(model, { type: 'float32', dims: [2 * k, ...input.dims.slice(1)], data: both }, [...targets, ...targets], {
        backend: ctx.backend,
        ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        memoryBudgetBytes: Infinity,
        rules,
      });
      const md = m.data as Float32Array;
      for (let b = 0; b < k; b++) {
        let s = 0;
        for (let j = 0; j < per; j++) {
          const i = (start + b) * per + j;
          const c = (x[i]! - x0[i]!) * md[b * per + j]!;
          attr[i] = c;
          s += c;
        }
        sums[start + b] = s;
      }
      ctx.onProgress?.(end, n);
    }

    const run = { backend: ctx.backend, ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}), ...(ctx.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: ctx.memoryBudgetBytes } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
    const refLogits = (await forward(model, reference, [], run)).logits;
    const score = targetScores(model, ctx.forward.logits.data as Float32Array, ctx.targets);
    const refScore = targetScores(model, refLogits.data as Float32Array, ctx.targets);
    const delta = score.map((f, b) => sums[b]! - (f - refScore[b]!));
    for (const d of delta) if (!Number.isFinite(d)) fail('INPUT_VALUE', `DeepLIFT produced a non-finite attribution; the model's activations overflow on the input or its ${kind} reference.`);
    const map: HostTensor = { type: 'float32', dims: [...input.dims], data: attr };
    return { map, extra: { values: { delta, 'reference-score': refScore } } };
  },
};
