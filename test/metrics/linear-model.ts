/** A linear classifier as an ONNX model, for the metric tests: logits = flatten(x) W + b on a 2 x 4 x 4 input. */
import { imageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { Random } from '../../src/util/random.js';
import { imageGraph, matmulLinear } from '../util/micro-models.js';

export const C = 2;
export const S = 4;
export const D = C * S * S;
export const UNITS = 3;
/** std per channel: the channels span 1/0.5 = 2 and 1/0.25 = 4 model units */
export const spec: InputSpec = { layout: 'NCHW', height: S, width: S, channels: C, range: [0, 1], std: [0.5, 0.25], resize: 'stretch', source: 'options' };
export const RANGES = [2, 4];
export const nchwChannel = (i: number) => Math.floor(i / (S * S));

/** W stored [D, UNITS]; `row(c)` is W[:, c] in the input's NCHW order, float64 copies of the float32 weights. */
export function linearModel(seed = 5) {
  const g = imageGraph(seed, C, S);
  const { logits, w, bias } = matmulLinear(g, D, UNITS, 1, 0.1);
  const model = imageModel(g.model(logits), { name: 'linear', source: 'test', input: spec });
  const row = (c: number) => Float64Array.from({ length: D }, (_, i) => w[i * UNITS + c]!);
  return { model, row, bias };
}

/** One example [1, C, S, S], uniform in [-1, 1). */
export function oneInput(seed: number): HostTensor {
  return { type: 'float32', dims: [1, C, S, S], data: Float32Array.from(new Random(seed).uniforms(D, -1, 1)) };
}
