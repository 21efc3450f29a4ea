/**
 * Infidelity (Yeh, Hsieh, Suggala, Inouye & Ravikumar 2019, "On the (In)fidelity and Sensitivity of
 * Explanations", Def. 2.1): how far the explanation's linear prediction of a perturbation's effect is
 * from the model's actual change,
 *     INFD(Φ, f, x) = E_I[(Iᵀ Φ(x) − (f(x) − f(x − I)))²],
 * estimated by Monte Carlo over `samples` perturbations I with i.i.d. Gaussian entries,
 * I[c, p] ~ N(0, (σ · range_c)²), where range_c is channel c's pixel range in model units
 * (input-range.ts) and σ (`sigma`) a fraction of it.
 *
 * - f is the explained score: the target's pre-softmax logit (the score the methods attribute).
 * - Φ must lie in input space. Input-shaped maps are used element by element; per-pixel maps ([H, W],
 *   e.g. CAMs upsampled to the input) are broadcast across channels, Φ[c, p] = Φ[p], so
 *   Iᵀ Φ = Σ_p Φ[p] Σ_c I[c, p]. Maps are used as the method returns them (x ⊙ gradient, IG, ... are not
 *   divided by the input).
 * - I is the perturbation the model actually sees: x − fl32(x − I), so that a linear model's change is
 *   exactly Iᵀ w.
 * - Normalized infidelity (Captum's `normalize=True`): Φ is first scaled by the optimal
 *   β = E[IᵀΦ · Δf] / E[(IᵀΦ)²] (β = 0 when every IᵀΦ is 0), giving E[(β IᵀΦ − Δf)²]. It does not depend
 *   on the map's scale, so methods whose maps are in different units (CAMs, probabilities, gradients)
 *   become comparable; it is the default here. The unnormalized value (Captum's default
 *   `normalize=False`, the paper's definition) is always reported beside it.
 *
 * Noise order (reproducible): `new Random(seed)`; for sample k = 0..N−1, for each element i of the example
 * in memory order, I_i = normal() · σ · range_{channel(i)}. The perturbed inputs go through the scorer
 * `batch` at a time (and the runtime splits those further to fit its memory budget). Platform neutral.
 */
import { fail } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import { targetScores, type ClassTarget } from '../model/targets.js';
import { forward, type RunOptions } from '../methods/engine.js';
import type { HostTensor } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import type { Scorer } from './deletion.js';
import { channelOf, pixelOf } from './input-range.js';

export interface InfidelityOptions {
  /** perturbations I drawn; default 32 */
  readonly samples?: number;
  /** the noise's standard deviation as a fraction of each channel's range; default 0.1 */
  readonly sigma?: number;
  /** per-channel range in model units (see channelRanges); default 1 for every channel */
  readonly ranges?: ArrayLike<number>;
  /** default 0 */
  readonly seed?: number;
  /** perturbed inputs per scorer call; default 16 */
  readonly batch?: number;
  /** which value `infidelity` holds: β-scaled (true, default) or raw */
  readonly normalize?: boolean;
  /** 'NCHW' or 'NHWC' (default NCHW) */
  readonly layout?: 'NCHW' | 'NHWC';
}

export interface InfidelityResult {
  /** `normalized` when options.normalize is on (the default), else `raw` */
  readonly infidelity: number;
  readonly normalize: boolean;
  /** E[(IᵀΦ − Δf)²] */
  readonly raw: number;
  /** E[(β IᵀΦ − Δf)²] */
  readonly normalized: number;
  /** the optimal scale of the map */
  readonly beta: number;
  /** E[Δf²]: the infidelity of an all-zero map, a scale to read the others against */
  readonly meanSquaredChange: number;
  readonly samples: number;
  readonly sigma: number;
}

/** The infidelity of the products a_k = IₖᵀΦ against the score changes Δf_k (the last step, shared with tests). */
export function infidelityFromSamples(dots: ArrayLike<number>, changes: ArrayLike<number>): { raw: number; normalized: number; beta: number; meanSquaredChange: number } {
  const n = dots.length;
  if (n === 0 || changes.length !== n) fail('USAGE', `infidelity needs as many score changes as perturbations (${n} and ${changes.length}), at least one.`);
  let ad = 0;
  let aa = 0;
  let dd = 0;
  let raw = 0;
  for (let k = 0; k < n; k++) {
    const a = dots[k]!;
    const d = changes[k]!;
    ad += a * d;
    aa += a * a;
    dd += d * d;
    raw += (a - d) ** 2;
  }
  const beta = aa > 0 ? ad / aa : 0;
  // E[(βa − d)²] = β²E[a²] − 2βE[ad] + E[d²] = E[d²] − β E[ad] at the optimal β; summed directly to avoid cancellation
  let normalized = 0;
  for (let k = 0; k < n; k++) normalized += (beta * dots[k]! - changes[k]!) ** 2;
  return { raw: raw / n, normalized: normalized / n, beta, meanSquaredChange: dd / n };
}

/**
 * Infidelity of one example's map: `input` is [1, ...] in the model's layout, `map` holds one value per
 * input element or one per pixel (broadcast across channels), `score` gives f for a batch.
 */
export async function infidelity(input: HostTensor, map: ArrayLike<number>, score: Scorer, options: InfidelityOptions = {}): Promise<InfidelityResult> {
  const samples = options.samples ?? 32;
  const sigma = options.sigma ?? 0.1;
  const batch = options.batch ?? 16;
  const normalize = options.normalize ?? true;
  const layout = options.layout ?? 'NCHW';
  if (!Number.isInteger(samples) || samples < 1) fail('USAGE', `infidelity samples must be a positive integer, got ${samples}.`);
  if (!Number.isInteger(batch) || batch < 1) fail('USAGE', `batch must be a positive integer, got ${batch}.`);
  if (!(sigma > 0 && Number.isFinite(sigma))) fail('USAGE', `sigma must be a positive number (a fraction of the input range), got ${sigma}.`);
  const d = input.dims;
  if (d.length !== 4 || d[0] !== 1) fail('INPUT_SHAPE', `infidelity takes one example [1, ...], got [${d.join(', ')}].`);
  const [C, H, W] = layout === 'NCHW' ? [d[1]!, d[2]!, d[3]!] : [d[3]!, d[1]!, d[2]!];
  const P = H * W;
  const x = input.data as Float32Array;
  const E = x.length;
  if (map.length !== E && map.length !== P) fail('INPUT_SHAPE', `the map has ${map.length} values; the input has ${E} elements (${H}x${W} pixels, ${C} channels).`);
  const ranges = options.ranges ?? new Float64Array(C).fill(1);
  if (ranges.length !== C) fail('USAGE', `${ranges.length} channel ranges were given for ${C} channels.`);
  // per element: Φ (broadcast for per-pixel maps) and the noise's standard deviation
  const phi = map.length === E ? Float64Array.from(map) : Float64Array.from({ length: E }, (_, i) => map[pixelOf(i, C, P, layout)]!);
  const sd = Float64Array.from({ length: E }, (_, i) => sigma * ranges[channelOf(i, C, P, layout)]!);
  const f0 = (await score(input))[0]!;
  const rnd = new Random(options.seed ?? 0);
  const dots = new Float64Array(samples);
  const changes = new Float64Array(samples);
  for (let s = 0; s < samples; s += batch) {
    const n = Math.min(batch, samples - s);
    const data = new Float32Array(n * E);
    for (let b = 0; b < n; b++) {
      let dot = 0;
      for (let i = 0; i < E; i++) {
        data[b * E + i] = x[i]! - rnd.normal() * sd[i]!;
        dot += (x[i]! - data[b * E + i]!) * phi[i]!; // the perturbation as stored in float32
      }
      dots[s + b] = dot;
    }
    const f = await score({ type: 'float32', dims: [n, ...d.slice(1)], data });
    for (let b = 0; b < n; b++) changes[s + b] = f0 - f[b]!;
  }
  const r = infidelityFromSamples(dots, changes);
  return { infidelity: normalize ? r.normalized : r.raw, normalize, ...r, samples, sigma };
}

/** The explained score f (the target's pre-softmax logit, or −logit for class 0 of a binary sigmoid) of every example of a batch. */
export function targetScorer(model: ImageModel, target: ClassTarget, run: RunOptions): Scorer {
  return async (batch) => {
    const n = batch.dims[0]!;
    const fwd = await forward(model, batch, [], run);
    return Float32Array.from(targetScores(model, fwd.logits.data as Float32Array, Array<ClassTarget>(n).fill(target)));
  };
}
