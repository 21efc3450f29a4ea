/**
 * Noise-averaged wrappers around any input-space method M (`--smooth-base`, default `gradient`):
 * - `smoothgrad`:         Smilkov et al. 2017, "SmoothGrad: removing noise by adding noise", Eq. 3:
 *                         1/n sum_k M(x + g_k), g_k ~ N(0, sigma^2)
 * - `smoothgrad-squared`: the mean of squares, 1/n sum_k M(x + g_k)^2 (Hooker et al. 2019's SG-SQ)
 * - `vargrad`:            Adebayo et al. 2018, "Local Explanation Methods for Deep Neural Networks Lack
 *                         Sensitivity to Parameter Values": the variance over the noisy copies,
 *                         1/n sum_k M(x + g_k)^2 - (1/n sum_k M(x + g_k))^2
 * sigma = --noise x (max(x) - min(x)) of each example, in the model's input space (Smilkov et al.,
 * Sec. 3.2 express the noise level as a fraction of the input's range). The --samples noisy copies of an
 * example (drawn from a stream seeded by --seed for each example, so an example's map does not depend on
 * the rest of the batch) run as one batch through M (the engine chunks it under the memory budget). M's own options
 * are read from the same flags (the Integrated Gradients options are declared here for that).
 */
import { fail } from '../errors.js';
import type { HostTensor } from '../runtime/backend.js';
import type { ClassTarget } from '../model/targets.js';
import { Random } from '../util/random.js';
import { forward, type ForwardResult, type RunOptions } from './engine.js';
import { IG_OPTIONS, SEED_OPTION } from './integrated-gradients.js';
import { resolveOptions, type OptionSpec, type OptionValue } from './options.js';
import type { Method, MethodContext, MethodResult } from './types.js';

export const SMOOTHING_IDS = ['smoothgrad', 'smoothgrad-squared', 'vargrad'] as const;
type Smoothing = (typeof SMOOTHING_IDS)[number];

const OPTIONS: readonly OptionSpec[] = [
  { name: 'smooth-base', type: 'string', default: 'gradient', help: 'the input-space method averaged over noisy copies (smoothgrad, smoothgrad-squared, vargrad)' },
  { name: 'samples', type: 'integer', default: 25, min: 1, max: 100000, help: 'noisy copies per input' },
  { name: 'noise', type: 'number', default: 0.15, min: 0, help: "noise std as a fraction of each input's range (max - min)" },
  ...IG_OPTIONS.filter((o) => o.name !== SEED_OPTION.name),
  SEED_OPTION,
];

/** The base method: an input-space method of the registry that is not itself a smoothing wrapper. */
async function baseMethod(id: string): Promise<{ base: Method; all: readonly Method[] }> {
  // imported here, not at the top: the registry imports this file
  const { getMethod, methods } = await import('./registry.js');
  const ok = (m: Method) => m.output === 'input' && !m.needsLayer && !(SMOOTHING_IDS as readonly string[]).includes(m.id);
  const usable = methods().filter(ok).map((m) => m.id).join(', ');
  const m = getMethod(id);
  if (!ok(m)) {
    const why = (SMOOTHING_IDS as readonly string[]).includes(m.id) ? 'is itself a smoothing method' : m.needsLayer ? 'weights a layer' : `gives a '${m.output}' map, not one value per input element`;
    fail('USAGE', `--smooth-base ${id} cannot be smoothed: it ${why}. Input-space methods: ${usable}.`);
  }
  return { base: m, all: methods() };
}

async function smooth(kind: Smoothing, ctx: MethodContext): Promise<MethodResult> {
  const { base, all } = await baseMethod(ctx.options['smooth-base'] as string);
  // the base's options: those of ours it declares, checked against its own declarations, defaults filled
  const given: Record<string, OptionValue> = {};
  for (const o of base.options ?? []) if (ctx.options[o.name] !== undefined) given[o.name] = ctx.options[o.name]!;
  const baseOptions = resolveOptions([base], given, all).get(base.id)!;
  const samples = ctx.options['samples'] as number;
  const noise = ctx.options['noise'] as number;
  const { input, model } = ctx;
  const n = input.dims[0]!;
  const per = input.data.length / n;
  const x = input.data as Float32Array;
  const quiet: RunOptions = { backend: ctx.backend, ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}), ...(ctx.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: ctx.memoryBudgetBytes } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
  const map = new Float32Array(input.data.length);
  const sigmas: number[] = [];
  for (let e = 0; e < n; e++) {
    ctx.signal?.throwIfAborted();
    const xe = x.subarray(e * per, (e + 1) * per);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of xe) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const sigma = noise * (hi - lo);
    sigmas.push(sigma);
    // one stream per example: an example gets the same noise alone or in a batch
    const random = new Random(ctx.options['seed'] as number);
    const noisy = new Float32Array(samples * per);
    for (let k = 0; k < samples; k++) random.fillNormals(noisy.subarray(k * per, (k + 1) * per), sigma, xe);
    const batch: HostTensor = { type: 'float32', dims: [samples, ...input.dims.slice(1)], data: noisy };
    // bases that never read the forward pass (plain gradients) skip it: it would be 'samples' wasted passes
    const fwd = base.readsForward === false ? unreadForward(base.id) : await forward(model, batch, base.exposes(model, undefined), quiet);
    const r = await base.explain({
      ...ctx,
      input: batch,
      targets: Array<ClassTarget>(samples).fill(ctx.targets[e]!),
      forward: fwd,
      options: baseOptions,
      ...(ctx.onProgress ? { onProgress: (d: number, t: number) => ctx.onProgress!(e * t + d, n * t) } : {}),
    });
    const m = r.map.data as Float32Array;
    if (m.length !== samples * per) fail('SHAPE', `--smooth-base ${base.id} returned [${r.map.dims.join(', ')}] for an input of [${batch.dims.join(', ')}].`);
    for (let i = 0; i < per; i++) {
      let s = 0;
      let s2 = 0;
      for (let k = 0; k < samples; k++) {
        const v = m[k * per + i]!;
        s += v;
        s2 += v * v;
      }
      const mean = s / samples;
      map[e * per + i] = kind === 'smoothgrad' ? mean : kind === 'smoothgrad-squared' ? s2 / samples : Math.max(0, s2 / samples - mean * mean);
    }
  }
  return { map: { type: 'float32', dims: [...input.dims], data: map }, extra: { values: { noiseSigma: sigmas } } };
}

const COMMON = {
  needsLayer: false,
  usesGradients: true,
  output: 'input' as const,
  options: OPTIONS,
  passes: '--samples forward passes + --samples times the base method\'s passes',
  exposes: () => [],
};

export const smoothgradMethod: Method = {
  ...COMMON,
  id: 'smoothgrad',
  title: 'SmoothGrad',
  paper: 'Smilkov et al. 2017, "SmoothGrad: removing noise by adding noise", Eq. 3: 1/n sum_k M(x + N(0, sigma^2))',
  answers: 'Which input values matter to the class score, averaged over small random perturbations of the input?',
  signed: true,
  units: 'mean over noisy copies of the base map (default d logit / d x)',
  explain: (ctx) => smooth('smoothgrad', ctx),
};

export const smoothgradSquaredMethod: Method = {
  ...COMMON,
  id: 'smoothgrad-squared',
  title: 'SmoothGrad squared',
  paper: 'Smilkov et al. 2017 with squared maps (SG-SQ, Hooker et al. 2019): 1/n sum_k M(x + N(0, sigma^2))^2',
  answers: 'How strongly does each input value matter to the class score under small random perturbations, whatever the sign?',
  signed: false,
  units: 'mean over noisy copies of the squared base map',
  explain: (ctx) => smooth('smoothgrad-squared', ctx),
};

export const vargradMethod: Method = {
  ...COMMON,
  id: 'vargrad',
  title: 'VarGrad',
  paper: 'Adebayo et al. 2018, "Local Explanation Methods for Deep Neural Networks Lack Sensitivity to Parameter Values": Var_k M(x + N(0, sigma^2))',
  answers: 'How much does the base map of each input value vary under small random perturbations of the input?',
  signed: false,
  units: 'variance over noisy copies of the base map',
  explain: (ctx) => smooth('vargrad', ctx),
};

/** A forward result for a base method that declares it never reads one: any read is a bug, said loudly. */
function unreadForward(id: string): ForwardResult {
  const refuse = (): never => fail('RUNTIME', `method '${id}' declares readsForward: false but read the forward pass.`);
  return { get logits() { return refuse(); }, get tensors() { return refuse(); } };
}
