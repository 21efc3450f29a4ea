/**
 * The cascading model-parameter randomization sanity check (Adebayo et al. 2018, "Sanity Checks for
 * Saliency Maps", Sec. 3.1): the weights of the layers are re-initialized from the top layer down, one
 * more layer at each depth, the method's map is recomputed, and its similarity to the original map is
 * reported per depth (Spearman rank correlation of |map| and SSIM). A faithful method's maps lose their
 * resemblance as the model is destroyed; a method whose maps barely change (guided backprop is the known
 * case) explains the input more than the model, and is flagged. The user's model is never mutated.
 * Platform neutral.
 */
import { explain, type ExplainOptions } from '../methods/explain.js';
import { imageModel, type ImageModel } from '../model/image-model.js';
import type { TargetSpec } from '../model/targets.js';
import { DType, type Tensor } from '../onnx/ir.js';
import { floatTensor, tensorValues } from '../onnx/tensor.js';
import type { HostTensor } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { spearman, ssim } from './similarity.js';

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Layers with weights (their weight initializers), from the output down. */
export function parametrizedLayers(model: ImageModel): { node: string; weights: string[] }[] {
  const inits = new Set(model.onnx.graph.initializers.map((t) => t.name));
  return model.onnx.graph.nodes
    .filter((n) => WEIGHTED.has(n.opType) && n.inputs.slice(1).some((i) => inits.has(i)))
    .map((n) => ({ node: n.name || n.outputs[0]!, weights: n.inputs.slice(1).filter((i) => inits.has(i)) }))
    .reverse();
}

/** A copy of the model whose named initializers are redrawn from a normal with each tensor's own std. */
export function randomizeWeights(model: ImageModel, names: ReadonlySet<string>, seed: number): ImageModel {
  const rnd = new Random(seed);
  const initializers = model.onnx.graph.initializers.map((t): Tensor => {
    if (!names.has(t.name) || t.dataType !== DType.FLOAT) return t;
    const v = tensorValues(t);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) || 0.01;
    return floatTensor(t.name, t.dims, rnd.normals(v.length, sd));
  });
  const onnx = { ...model.onnx, graph: { ...model.onnx.graph, initializers } };
  return imageModel(onnx, { name: `${model.name} (randomized)`, source: model.source, input: model.input, ...(model.labels ? { labels: model.labels } : {}), ...(model.layers ? { layers: model.layers } : {}) });
}

export interface DepthSimilarity {
  /** layers randomized, from the top */
  readonly depth: number;
  /** the deepest layer randomized at this depth */
  readonly layer: string;
  readonly rankCorrelation: number;
  readonly ssim: number;
}

export interface SanityResult {
  readonly method: string;
  readonly depths: readonly DepthSimilarity[];
  /** the maps at each depth (depth 0: the original), for figures */
  readonly maps: readonly HostTensor[];
  /** rank correlation with every layer randomized stays above the threshold */
  readonly flagged: boolean;
}

export interface SanityOptions extends Omit<ExplainOptions, 'methods'> {
  /** a method whose maps keep a rank correlation above this with all layers randomized is flagged; default 0.5 */
  readonly threshold?: number;
  /** at most this many depths, spread over the layers (default: every layer) */
  readonly maxDepths?: number;
  readonly seed?: number;
}

/** Runs the cascade for one example `input` [1, ...] and each method; the target stays the original's top class. */
export async function cascadingRandomization(model: ImageModel, input: HostTensor, methods: readonly string[], options: SanityOptions): Promise<SanityResult[]> {
  const layers = parametrizedLayers(model);
  const total = layers.length;
  const want = Math.min(total, options.maxDepths ?? total);
  const depths = [...new Set(Array.from({ length: want }, (_, k) => Math.round(((k + 1) * total) / want)))];
  const base = await explain(model, input, { ...options, methods });
  const target: TargetSpec = options.target && options.target !== 'top' ? options.target : base.targets[0]!.index;
  const out = methods.map((m, k) => ({ method: m, depths: [] as DepthSimilarity[], maps: [base.results[k]!.map] }));
  const abs = (t: HostTensor) => Float32Array.from(t.data as Float32Array, Math.abs);
  for (const depth of depths) {
    const names = new Set(layers.slice(0, depth).flatMap((l) => l.weights));
    const randomized = randomizeWeights(model, names, (options.seed ?? 0) + depth);
    const r = await explain(randomized, input, { ...options, methods, target });
    r.results.forEach((res, k) => {
      const a = base.results[k]!.map;
      const hw = a.dims.slice(-2);
      const [h, w] = a.dims.length >= 3 ? [hw[0]!, hw[1]!] : [1, a.data.length];
      out[k]!.depths.push({ depth, layer: layers[depth - 1]!.node, rankCorrelation: spearman(abs(a), abs(res.map)), ssim: a.data.length === h * w ? ssim(a.data as Float32Array, res.map.data as Float32Array, h, w) : ssim(abs(a), abs(res.map), 1, a.data.length) });
      out[k]!.maps.push(res.map);
    });
  }
  const threshold = options.threshold ?? 0.5;
  return out.map((o) => ({ ...o, flagged: (o.depths[o.depths.length - 1]?.rankCorrelation ?? 0) > threshold }));
}
