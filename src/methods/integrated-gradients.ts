/**
 * `integrated-gradients`: Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks",
 * Eq. 1, IG_i(x) = (x_i - x'_i) * int_0^1 dF(x' + a (x - x'))/dx_i da, approximated as in Eq. 3 by a
 * quadrature rule (ig-rules.ts): (x - x') * sum_k w_k grad F(x' + alpha_k (x - x')). F is the target's
 * pre-softmax logit. Completeness (Prop. 1) says sum_i IG_i = F(x) - F(x'); every result reports the
 * gap `delta` = sum(IG) - (F(x) - F(x')) with F computed by forward passes, its relative size, and the
 * steps used. With several baselines the attributions are averaged (expected-gradients style) and delta
 * is that of the average. `--ig-tolerance T` doubles the steps (up to --ig-max-steps) until
 * |delta| <= T |F(x) - F(x')| for every baseline. Use it for signed per-element attributions whose sum
 * is the score's change from a reference input.
 */
import { fail } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import { targetScores, type ClassTarget } from '../model/targets.js';
import type { HostTensor } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { BASELINE_KINDS, makeBaseline, parseBaselines, type MeanSource } from './baselines.js';
import { forward, inputGradient, type RunOptions } from './engine.js';
import { loadBaselineFiles, loadMeanSource } from './ig-files.js';
import { IG_RULES, quadrature, type IgRule } from './ig-rules.js';
import type { OptionSpec } from './options.js';
import type { Method, MethodContext, MethodResult } from './types.js';

export const SEED_OPTION: OptionSpec = { name: 'seed', type: 'integer', default: 0, min: 0, help: 'seed of the random numbers (noise, random baselines)' };

export const IG_OPTIONS: readonly OptionSpec[] = [
  { name: 'ig-steps', type: 'integer', default: 50, min: 1, max: 65536, help: 'gradient evaluations along the path (per baseline)' },
  { name: 'ig-rule', type: 'enum', choices: IG_RULES, default: 'gauss-legendre', help: 'quadrature rule on [0,1] (riemann-trapezoid: N points, half weight at both ends)' },
  { name: 'baseline', type: 'string', default: 'black', help: `reference input: ${BASELINE_KINDS.join('|')}|FILE.npy (input space); several separated by commas are averaged` },
  { name: 'baseline-mean', type: 'string', help: "for --baseline mean: R,G,B pixel values, a .npy mean image in pixels [H,W,3], or a folder of images" },
  { name: 'ig-tolerance', type: 'number', min: 0, help: 'double the steps until |delta| <= T * |F(x) - F(baseline)|' },
  { name: 'ig-max-steps', type: 'integer', default: 1024, min: 1, max: 65536, help: 'with --ig-tolerance: the most steps tried' },
  SEED_OPTION,
];

/** Interpolated inputs and their gradients held in host memory at once (input + gradient, float32). */
const HOST_BYTES = 512 * 2 ** 20;

export interface IgSettings {
  readonly steps: number;
  readonly rule: IgRule;
  readonly baseline: string;
  readonly baselineMean?: string;
  readonly tolerance?: number;
  readonly maxSteps: number;
  readonly seed: number;
}

export function igSettings(options: MethodContext['options']): IgSettings {
  const s: IgSettings = {
    steps: options['ig-steps'] as number,
    rule: options['ig-rule'] as IgRule,
    baseline: options['baseline'] as string,
    maxSteps: options['ig-max-steps'] as number,
    seed: options['seed'] as number,
    ...(options['baseline-mean'] !== undefined ? { baselineMean: options['baseline-mean'] as string } : {}),
    ...(options['ig-tolerance'] !== undefined ? { tolerance: options['ig-tolerance'] as number } : {}),
  };
  quadrature(s.rule, s.steps); // refuses a rule that cannot use this many steps
  if (s.tolerance !== undefined && s.maxSteps < s.steps) fail('USAGE', `--ig-max-steps (${s.maxSteps}) is below --ig-steps (${s.steps}); --ig-tolerance only raises the step count.`);
  return s;
}

function concat(ts: readonly HostTensor[]): HostTensor {
  const data = new Float32Array(ts.reduce((s, t) => s + t.data.length, 0));
  let o = 0;
  for (const t of ts) {
    data.set(t.data as Float32Array, o);
    o += t.data.length;
  }
  return { type: 'float32', dims: [ts.reduce((s, t) => s + t.dims[0]!, 0), ...ts[0]!.dims.slice(1)], data };
}

/** Integrated Gradients of a batch; exported for methods that build on it. */
export async function integratedGradients(ctx: MethodContext, s: IgSettings): Promise<MethodResult> {
  const { model, input, targets } = ctx;
  const spec: InputSpec = model.input;
  const n = input.dims[0]!;
  const per = input.data.length / n;
  const specs = parseBaselines(s.baseline);
  if (s.baselineMean !== undefined && !specs.some((b) => b.kind === 'mean')) fail('USAGE', `--baseline-mean is for --baseline mean; the baselines given are '${s.baseline}'.`);
  const files = await loadBaselineFiles(specs);
  const mean: MeanSource | undefined = s.baselineMean !== undefined ? await loadMeanSource(s.baselineMean, spec, ctx.signal) : undefined;
  const streams = new Map<number, Random>();
  const random = (e: number) => streams.get(e) ?? streams.set(e, new Random(s.seed)).get(e)!;
  const baselines = specs.map((b) => makeBaseline(b, { spec, input, random, files, ...(mean ? { mean } : {}) }));
  const B = baselines.length;

  const quiet: RunOptions = { backend: ctx.backend, ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}), ...(ctx.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: ctx.memoryBudgetBytes } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
  const fx = targetScores(model, ctx.forward.logits.data as Float32Array, targets);
  const fwdB = await forward(model, concat(baselines), [], quiet);
  const fb = targetScores(model, fwdB.logits.data as Float32Array, baselines.flatMap(() => targets)); // [j * n + e]

  const map = new Float32Array(input.data.length);
  const values = { delta: [] as number[], relativeDelta: [] as number[], steps: [] as number[], scoreInput: [] as number[], scoreBaseline: [] as number[], converged: [] as number[] };
  const x = input.data as Float32Array;
  let done = 0;
  let planned = n * B * s.steps;
  for (let e = 0; e < n; e++) {
    const xe = x.subarray(e * per, (e + 1) * per);
    const base = baselines.map((t) => (t.data as Float32Array).subarray(e * per, (e + 1) * per));
    const gaps = base.map((_, j) => fx[e]! - fb[j * n + e]!);
    let steps = s.steps;
    for (;;) {
      const q = quadrature(s.rule, steps);
      const acc = await pathGradientSums(ctx, quiet, xe, base, targets[e]!, q.alphas, q.weights, (d) => ctx.onProgress?.(done + d, planned));
      done += B * steps;
      const attr = base.map((xb, j) => {
        const a = new Float64Array(per);
        for (let i = 0; i < per; i++) a[i] = (xe[i]! - xb[i]!) * acc[j]![i]!;
        return a;
      });
      const deltas = attr.map((a, j) => a.reduce((t, v) => t + v, 0) - gaps[j]!);
      const ok = deltas.every((d, j) => s.tolerance === undefined || Math.abs(d) <= s.tolerance * Math.abs(gaps[j]!));
      if (!ok && steps < s.maxSteps) {
        const next = Math.min(2 * steps, s.maxSteps);
        planned += B * next;
        steps = next;
        continue;
      }
      let sum = 0;
      for (let i = 0; i < per; i++) {
        let v = 0;
        for (const a of attr) v += a[i]!;
        v /= B;
        map[e * per + i] = v;
        sum += v;
      }
      const gap = gaps.reduce((t, g) => t + g, 0) / B;
      const delta = sum - gap;
      values.delta.push(delta);
      values.relativeDelta.push(delta === 0 ? 0 : Math.abs(delta) / Math.abs(gap));
      values.steps.push(steps);
      values.scoreInput.push(fx[e]!);
      values.scoreBaseline.push(fb.filter((_, k) => k % n === e).reduce((t, v) => t + v, 0) / B);
      values.converged.push(ok ? 1 : 0);
      break;
    }
  }
  const { converged, ...always } = values;
  return { map: { type: 'float32', dims: [...input.dims], data: map }, extra: { values: s.tolerance === undefined ? always : { ...always, converged } } };
}

/**
 * For one example and each baseline j: sum_k w_k grad F(x'_j + alpha_k (x - x'_j)), float64. All the
 * interpolated inputs run as one batch through the engine (which chunks it under the memory budget),
 * unless holding them in host memory would pass HOST_BYTES.
 */
async function pathGradientSums(ctx: MethodContext, run: RunOptions, x: Float32Array, base: readonly Float32Array[], target: ClassTarget, alphas: Float64Array, weights: Float64Array, progress: (done: number) => void): Promise<Float64Array[]> {
  const per = x.length;
  const rows = base.length * alphas.length;
  const slab = Math.max(1, Math.min(rows, Math.floor(HOST_BYTES / (8 * per))));
  const acc = base.map(() => new Float64Array(per));
  const dims = ctx.input.dims.slice(1);
  for (let start = 0; start < rows; start += slab) {
    ctx.signal?.throwIfAborted();
    const end = Math.min(rows, start + slab);
    const batch = new Float32Array((end - start) * per);
    for (let r = start; r < end; r++) {
      const xb = base[Math.floor(r / alphas.length)]!;
      const a = alphas[r % alphas.length]!;
      const o = (r - start) * per;
      for (let i = 0; i < per; i++) batch[o + i] = xb[i]! + a * (x[i]! - xb[i]!);
    }
    const g = (await inputGradient(ctx.model, { type: 'float32', dims: [end - start, ...dims], data: batch }, Array<ClassTarget>(end - start).fill(target), {
      ...run,
      onProgress: (d) => progress(start + d),
    })).data as Float32Array;
    for (let r = start; r < end; r++) {
      const w = weights[r % alphas.length]!;
      const sum = acc[Math.floor(r / alphas.length)]!;
      const o = (r - start) * per;
      for (let i = 0; i < per; i++) sum[i] = sum[i]! + w * g[o + i]!;
    }
  }
  return acc;
}

export const integratedGradientsMethod: Method = {
  id: 'integrated-gradients',
  title: 'Integrated Gradients',
  paper: 'Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks", Eq. 1 with the quadrature of Eq. 3 (rule chosen by --ig-rule)',
  answers: 'How much does each input value contribute to the change of the class score from the baseline to the input?',
  passes: '--ig-steps forward + backward passes per baseline and example, plus 1 forward of the baselines',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: '(x - x\') * integrated d logit / d x (sums to logit(x) - logit(x\'))',
  options: IG_OPTIONS,
  exposes: () => [],
  async explain(ctx) {
    return integratedGradients(ctx, igSettings(ctx.options));
  },
};
