/**
 * Activation maximization (Erhan et al. 2009; Simonyan et al. 2013, Sec. 2; Olah et al. 2017,
 * "Feature Visualization", Distill): gradient ascent on an image parametrization so that the model's
 * objective is as large as possible, with transformation robustness and penalties as priors. This is
 * Lucid's `render_vis` with defaults in one place: Fourier + decorrelated colour + sigmoid, Lucid's
 * standard transforms, Adam at 0.05, 512 steps.
 *
 * Each step: render the parameters to images, transform them at random (seeded), run the model's
 * compiled objective + gradient graph once for the whole batch, chain the gradient back through the
 * transforms and the parametrization in TypeScript, subtract the penalties' gradients, step.
 */
import { fail } from '../errors.js';
import type { RuleSetName } from '../autodiff/rulesets.js';
import type { ImageModel } from '../model/image-model.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { fromModelGradient, imageBatch, toModelInput, type ImageBatch } from './image-batch.js';
import type { Objective } from './objectives.js';
import { optimizer as makeOptimizer, type OptimizerName } from './optimizer.js';
import { ImageParam, type ParamKind, type Squash } from './parametrizations/image.js';
import { objectivePlan, type ObjectivePlan } from './plan.js';
import { normalizeGradient as normalize, type Regularizer } from './regularizers.js';
import { compose, fitTo, standardTransforms, type Transform } from './transforms.js';

export interface VisualizeOptions {
  readonly backend: RuntimeBackend;
  /** intra-op threads; default all cores */
  readonly threads?: number;
  readonly objective: Objective;
  /** images optimized together (one runtime call per step); default 1 */
  readonly batch?: number;
  /** default 512 */
  readonly steps?: number;
  /** default 0.05 */
  readonly lr?: number;
  /** default 'adam' */
  readonly optimizer?: OptimizerName;
  /** default 'fourier' */
  readonly param?: ParamKind;
  /** decorrelated colour space; default true for RGB models */
  readonly decorrelate?: boolean;
  /** default 'sigmoid' */
  readonly squash?: Squash;
  /** standard deviation of the random start; default 0.01 */
  readonly sd?: number;
  /** Fourier preconditioning exponent; default 1 */
  readonly decay?: number;
  /** 'standard' (Lucid's, scaled to the input size; the default), 'none', or a list */
  readonly transforms?: 'standard' | 'none' | readonly Transform[];
  /** penalties subtracted from the objective; default none */
  readonly regularizers?: readonly Regularizer[];
  /** scale each example's parameter gradient to unit RMS before the optimizer step; default false */
  readonly normalizeGradient?: boolean;
  /** seeds the start and every random transform; default 0 */
  readonly seed?: number;
  /** start from these images ([0, 1], the model's input size; pixel parametrization) */
  readonly init?: ImageBatch;
  /** tensors fed to `match` terms, by tensor name */
  readonly targets?: Readonly<Record<string, HostTensor>>;
  /** backward rules; default 'standard' */
  readonly rules?: RuleSetName;
  /** steps after which to keep a copy of the images (0 = the start) */
  readonly snapshots?: readonly number[];
  /** after each step: steps done, total, the batch's mean objective at that step */
  readonly onProgress?: (step: number, steps: number, value: number) => void;
  /** cancels between steps */
  readonly signal?: AbortSignal;
}

export interface VisualizeResult {
  /** the final images, [0, 1] */
  readonly images: ImageBatch;
  /** objective per example on the untransformed start and final images */
  readonly start: readonly number[];
  readonly end: readonly number[];
  /** mean objective over the batch at each step (on that step's transformed images) */
  readonly history: readonly number[];
  readonly snapshots: readonly { readonly step: number; readonly images: ImageBatch }[];
  readonly objective: string;
  readonly transforms: readonly string[];
  readonly ms: number;
}

function copy(x: ImageBatch): ImageBatch {
  return imageBatch(x.n, x.c, x.h, x.w, Float32Array.from(x.data));
}

export function resolveTransforms(t: VisualizeOptions['transforms'], size: number): Transform[] {
  if (t === undefined || t === 'standard') return standardTransforms(size);
  if (t === 'none') return [];
  if (!Array.isArray(t)) fail('USAGE', `transforms must be 'standard', 'none' or a list of transforms.`);
  return [...t];
}

/** Optimizes images for the objective; see VisualizeOptions for the defaults. */
export async function visualize(model: ImageModel, options: VisualizeOptions): Promise<VisualizeResult> {
  const t0 = performance.now();
  const spec = model.input;
  const n = options.batch ?? options.init?.n ?? 1;
  const steps = options.steps ?? 512;
  if (!(Number.isInteger(n) && n >= 1)) fail('USAGE', `the batch must be a positive integer, got ${n}.`);
  if (!(Number.isInteger(steps) && steps >= 0)) fail('USAGE', `steps must be a non-negative integer, got ${steps}.`);
  const rng = new Random(options.seed ?? 0);
  const param = new ImageParam({
    n, c: spec.channels, h: spec.height, w: spec.width, rng,
    ...(options.param ? { kind: options.param } : {}),
    ...(options.decorrelate !== undefined ? { decorrelate: options.decorrelate } : {}),
    ...(options.squash ? { squash: options.squash } : {}),
    ...(options.sd !== undefined ? { sd: options.sd } : {}),
    ...(options.decay !== undefined ? { decay: options.decay } : {}),
    ...(options.init ? { init: options.init } : {}),
  });
  const transforms = [...resolveTransforms(options.transforms, Math.min(spec.height, spec.width)), fitTo(spec.height, spec.width)];
  const regularizers = options.regularizers ?? [];
  const opt = makeOptimizer(options.optimizer ?? 'adam', options.lr ?? 0.05);
  const plan: ObjectivePlan = await objectivePlan(model, options.objective, {
    backend: options.backend, batch: n,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.rules ? { rules: options.rules } : {}),
  });
  const evaluate = async (x: ImageBatch) => [...(await plan.run(toModelInput(x, spec), options.targets)).values];
  const wanted = new Set(options.snapshots ?? []);
  const snapshots: { step: number; images: ImageBatch }[] = [];

  let image = param.render();
  const start = await evaluate(image);
  if (wanted.has(0)) snapshots.push({ step: 0, images: copy(image) });
  const history: number[] = [];
  for (let step = 1; step <= steps; step++) {
    options.signal?.throwIfAborted();
    image = param.render();
    const applied = compose(transforms, image, rng);
    const { values, gradient } = await plan.run(toModelInput(applied.out, spec), options.targets);
    let mean = 0;
    for (const v of values) mean += v / n;
    history.push(mean);
    const g = applied.backward(fromModelGradient(gradient, spec));
    if (regularizers.length) {
      const penalty = new Float32Array(g.data.length);
      for (const r of regularizers) r.accumulate(image, penalty);
      for (let i = 0; i < penalty.length; i++) g.data[i] = g.data[i]! - penalty[i]!;
    }
    const gp = param.backward(g);
    if (options.normalizeGradient) normalize(gp, n);
    opt.step(param.params, gp);
    param.project();
    options.onProgress?.(step, steps, mean);
    if (wanted.has(step)) snapshots.push({ step, images: copy(param.render()) });
  }
  const images = copy(param.render());
  const end = await evaluate(images);
  return {
    images, start, end, history, snapshots,
    objective: options.objective.toString(),
    transforms: transforms.map((t) => t.name),
    ms: performance.now() - t0,
  };
}
