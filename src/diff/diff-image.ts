/**
 * Two versions of a model (A and B, e.g. before and after fine-tuning) explaining the same picture:
 * each model gets its own preprocessing, explains the same class (src/diff/class-space.ts), and every
 * method's two maps are brought to a common grid (src/diff/common-grid.ts), normalized and compared
 * (src/diff/measures.ts). The user's models are never mutated. Platform neutral.
 */
import { fail } from '../errors.js';
import { preprocess } from '../image/preprocess.js';
import type { RgbImage } from '../image/types.js';
import { spatialMap } from '../methods/display.js';
import { explain, type ExplainResult, type Prediction } from '../methods/explain.js';
import type { RunOptions } from '../methods/engine.js';
import { getMethod } from '../methods/registry.js';
import type { ImageModel } from '../model/image-model.js';
import { resolveLayer, type LayerChoice } from '../model/layers.js';
import type { HostTensor } from '../runtime/backend.js';
import { planTargets, type TargetPlan } from './class-space.js';
import { commonGrid, cropOf, mapOnGrid, pictureOnGrid, type CommonGrid } from './common-grid.js';
import { mapChange, normalizeForDiff, signedDifference, type MapChange } from './measures.js';

export interface PairOptions {
  readonly methods: readonly string[];
  /** a class index or name; default: the class model A predicts for each picture (same class spaces only) */
  readonly target?: number | string;
  /** layers for CAM methods, per model (default: each model's own default layer) */
  readonly layerA?: string;
  readonly layerB?: string;
}

/** Two models, checked once for everything that does not depend on the picture. */
export interface ModelPair {
  readonly a: ImageModel;
  readonly b: ImageModel;
  readonly methods: readonly string[];
  readonly plan: TargetPlan;
  /** the CAM layer of each model, when a method needs one */
  readonly layers?: { readonly a: LayerChoice; readonly b: LayerChoice };
}

export function pairModels(a: ImageModel, b: ImageModel, options: PairOptions): ModelPair {
  if (options.methods.length === 0) fail('USAGE', 'no method to compare: give at least one.');
  const methods = [...new Set(options.methods)];
  methods.forEach(getMethod);
  const plan = planTargets(a, b, options.target);
  const layers = methods.some((m) => getMethod(m).needsLayer) ? { a: resolveLayer(a, options.layerA), b: resolveLayer(b, options.layerB) } : undefined;
  return { a, b, methods, plan, ...(layers ? { layers } : {}) };
}

export interface DiffOptions extends RunOptions {
  /** values of the methods' options, by option name (the same for both models) */
  readonly methodOptions?: Readonly<Record<string, unknown>>;
  /** the fraction k of most-attributed pixels whose IoU is measured; default 0.1 */
  readonly topFraction?: number;
}

export interface ModelOutcome {
  /** the top predictions, best first (at most 5) */
  readonly predictions: readonly Prediction[];
  /** the class explained, its pre-softmax score and its probability */
  readonly target: { readonly index: number; readonly label: string; readonly score: number; readonly probability: number };
}

export interface MethodDiff {
  readonly method: string;
  readonly change: MapChange;
  /** raw value shown as 1 in each normalized map (see measures.ts) */
  readonly peaks: { readonly a: number; readonly b: number };
  /** raw maps on the common grid, [height, width] (input-shaped maps summed over channels) */
  readonly raw: { readonly a: Float32Array; readonly b: Float32Array };
  readonly normalized: { readonly a: Float32Array; readonly b: Float32Array };
  /** B̂ - Â on the common grid */
  readonly difference: Float32Array;
  /** true when the method's normalized maps keep their sign (values in [-1, 1]) */
  readonly signed: boolean;
}

export interface ImageDiff {
  readonly grid: CommonGrid;
  /** the picture over the common grid */
  readonly picture: RgbImage;
  readonly a: ModelOutcome;
  readonly b: ModelOutcome;
  /** true when the models' top classes differ (by index for the same classes, else by name) */
  readonly predictionChanged: boolean;
  readonly methods: readonly MethodDiff[];
}

function outcome(r: ExplainResult): ModelOutcome {
  const all = r.predictions[0]!;
  const t = r.targets[0]!;
  return {
    predictions: all.slice(0, 5),
    target: { index: t.index, label: t.label, score: t.score, probability: all.find((p) => p.index === t.index)?.probability ?? 0 },
  };
}

/** Explains `picture` with both models and compares every method's maps. */
export async function diffImage(pair: ModelPair, picture: RgbImage, options: DiffOptions): Promise<ImageDiff> {
  const { a, b, plan, methods } = pair;
  const run = (model: ImageModel, input: HostTensor, target: number, layer?: LayerChoice) => explain(model, input, {
    ...options,
    methods,
    top: model.output.classes,
    ...(target >= 0 ? { target } : {}),
    ...(layer ? { layer: layer.name } : {}),
  });
  const ra = await run(a, preprocess([picture], a.input), plan.target?.a ?? -1, pair.layers?.a);
  const rb = await run(b, preprocess([picture], b.input), plan.target?.b ?? ra.targets[0]!.index, pair.layers?.b);
  const grid = commonGrid(picture, a.input, b.input);
  const onGrid = (model: ImageModel, r: ExplainResult, k: number) =>
    mapOnGrid(spatialMap(r.results[k]!.map as HostTensor & { data: Float32Array }, model.input).data, model.input.height, model.input.width, cropOf(picture, model.input), grid);
  const diffs = methods.map((method, k): MethodDiff => {
    const raw = { a: onGrid(a, ra, k), b: onGrid(b, rb, k) };
    const na = normalizeForDiff(method, raw.a, grid.height, grid.width);
    const nb = normalizeForDiff(method, raw.b, grid.height, grid.width);
    return {
      method,
      change: mapChange(na.values, nb.values, grid.height, grid.width, options.topFraction),
      peaks: { a: na.peak, b: nb.peak },
      raw,
      normalized: { a: na.values, b: nb.values },
      difference: signedDifference(na.values, nb.values),
      signed: na.signed,
    };
  });
  const oa = outcome(ra);
  const ob = outcome(rb);
  const topA = oa.predictions[0]!;
  const topB = ob.predictions[0]!;
  return {
    grid,
    picture: pictureOnGrid(picture, grid),
    a: oa,
    b: ob,
    predictionChanged: plan.sameClasses ? topA.index !== topB.index : topA.label.toLowerCase() !== topB.label.toLowerCase(),
    methods: diffs,
  };
}
