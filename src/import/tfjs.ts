/**
 * TF.js layers-model `model.json` + weight bytes → KerasSource (platform neutral). Weights are decoded
 * as tfjs-core's io.decodeWeights does (uint8/uint16: q * scale + min; float16) and matched to layers
 * by their names (`layer/var`, or `outer/.../layer/var` inside nested models).
 */
import { halfToFloat } from '../onnx/tensor.js';
import { fail } from '../errors.js';
import type { KerasSource, WeightArray, WeightSource } from './types.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly min?: number; readonly scale?: number };
}

/** Keras's order of a layer's variables (`layer.weights`); unknown names keep their manifest order. */
const VARIABLE_ORDER = ['kernel', 'depthwise_kernel', 'pointwise_kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance', 'mean', 'variance', 'count'];

function weightSpecs(json: Json): WeightSpec[] {
  let specs: unknown[] = [];
  if (Array.isArray(json['weightsManifest'])) {
    for (const g of json['weightsManifest']) {
      if (!isObject(g) || !Array.isArray(g['weights'])) fail('MODEL_FORMAT', 'model.json: a weightsManifest group without a weights list.');
      specs.push(...g['weights']);
    }
  } else if (Array.isArray(json['weightSpecs'])) {
    specs = json['weightSpecs'];
  } else {
    fail('MODEL_FORMAT', 'model.json has no weightsManifest.');
  }
  return specs.map((s, i) => {
    if (!isObject(s) || typeof s['name'] !== 'string' || !Array.isArray(s['shape']) || !s['shape'].every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      fail('MODEL_FORMAT', `model.json: weight entry ${i} is not {name, shape, dtype}.`);
    }
    const q = s['quantization'];
    if (q !== undefined && (!isObject(q) || typeof q['dtype'] !== 'string')) fail('MODEL_FORMAT', `model.json: weight '${s['name']}' has a malformed quantization entry.`);
    return { name: s['name'], shape: s['shape'] as number[], dtype: typeof s['dtype'] === 'string' ? s['dtype'] : 'float32', ...(q ? { quantization: q as WeightSpec['quantization'] } : {}) };
  });
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, uint16: 2, uint8: 1, float16: 2, bool: 1 };

/** Decodes all weights, in manifest order, from the concatenated shards. */
function decodeWeights(specs: readonly WeightSpec[], data: Uint8Array): Map<string, WeightArray> {
  const out = new Map<string, WeightArray>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, d) => a * d, 1);
    const q = s.quantization;
    const stored = q ? q.dtype : s.dtype;
    const size = BYTES[stored];
    if (size === undefined || (s.dtype !== 'float32' && s.dtype !== 'int32')) {
      fail('MODEL_UNSUPPORTED', `weight '${s.name}' is stored as ${stored}${q ? ` (quantized ${s.dtype})` : ''}; supported: float32 and int32 weights, quantized as uint8, uint16 or float16.`);
    }
    if (q && (q.dtype === 'uint8' || q.dtype === 'uint16') && (typeof q.min !== 'number' || typeof q.scale !== 'number')) {
      fail('MODEL_FORMAT', `weight '${s.name}' is quantized as ${q.dtype} without min and scale.`);
    }
    if (offset + n * size > data.length) {
      fail('MODEL_FORMAT', `the weight data ends at byte ${data.length}, but weight '${s.name}' needs bytes ${offset} to ${offset + n * size} (a shard is missing or truncated).`);
    }
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const at = offset + i * size;
      switch (stored) {
        case 'float32': values[i] = view.getFloat32(at, true); break;
        case 'int32': values[i] = view.getInt32(at, true); break;
        case 'float16': values[i] = halfToFloat(view.getUint16(at, true)); break;
        // as tfjs: v * scale + min in double precision, stored as float32 (int32 weights are rounded)
        case 'uint8': values[i] = round(s.dtype, view.getUint8(at) * q!.scale! + q!.min!); break;
        case 'uint16': values[i] = round(s.dtype, view.getUint16(at, true) * q!.scale! + q!.min!); break;
        default: values[i] = view.getUint8(at);
      }
    }
    offset += n * size;
    if (out.has(s.name)) fail('MODEL_FORMAT', `model.json lists weight '${s.name}' twice.`);
    out.set(s.name, { shape: s.shape, data: values });
  }
  if (offset !== data.length) fail('MODEL_FORMAT', `the weight data has ${data.length} bytes but the manifest describes ${offset}.`);
  return out;
}

const round = (dtype: string, v: number) => (dtype === 'int32' ? Math.round(v) : v);

/** Weights grouped by layer name; each entry keeps the prefix of enclosing model names. */
class NamedWeights implements WeightSource {
  private readonly byLayer = new Map<string, { prefix: string[]; variable: string; index: number; w: WeightArray }[]>();

  constructor(weights: Map<string, WeightArray>) {
    let index = 0;
    for (const [full, w] of weights) {
      const parts = full.replace(/:\d+$/, '').split('/');
      if (parts.length < 2) fail('MODEL_FORMAT', `weight name '${full}' does not say which layer it belongs to (expected 'layer/variable').`);
      const variable = parts[parts.length - 1]!;
      const layer = parts[parts.length - 2]!;
      const list = this.byLayer.get(layer) ?? [];
      list.push({ prefix: parts.slice(0, -2), variable, index: index++, w });
      this.byLayer.set(layer, list);
    }
  }

  layerWeights(path: readonly string[]): readonly WeightArray[] {
    const name = path[path.length - 1];
    const all = name === undefined ? [] : this.byLayer.get(name) ?? [];
    const outer = path.slice(0, -1);
    // several layers of that name (e.g. in different nested models): keep those whose prefix ends with the path
    const prefixes = new Set(all.map((e) => e.prefix.join('/')));
    let chosen = all;
    if (prefixes.size > 1) {
      const endsWith = (p: string[]) => outer.length <= p.length && outer.every((o, i) => p[p.length - outer.length + i] === o);
      const exact = all.filter((e) => endsWith(e.prefix) && e.prefix.length === outer.length);
      chosen = exact.length > 0 ? exact : all.filter((e) => endsWith(e.prefix));
      const left = new Set(chosen.map((e) => e.prefix.join('/')));
      if (left.size !== 1) fail('MODEL_FORMAT', `the weights of layer '${path.join('/')}' are ambiguous: ${[...prefixes].map((p) => (p ? `${p}/${name}` : name)).join(', ')}.`);
    }
    const rank = (v: string) => {
      const r = VARIABLE_ORDER.indexOf(v);
      return r < 0 ? VARIABLE_ORDER.length : r;
    };
    return [...chosen].sort((a, b) => rank(a.variable) - rank(b.variable) || a.index - b.index).map((e) => e.w);
  }
}

/** Refuses anything but a TF.js layers model.json (checked before any weight file is read). */
export function assertLayersModel(modelJson: unknown): asserts modelJson is Record<string, unknown> {
  if (!isObject(modelJson)) fail('MODEL_FORMAT', 'model.json is not a JSON object.');
  const topo = modelJson['modelTopology'];
  const isGraph = modelJson['format'] === 'graph-model' || (isObject(topo) && ('node' in topo || 'versions' in topo));
  if (isGraph) {
    fail('MODEL_UNSUPPORTED', 'this model.json is a TF.js graph model (a frozen TensorFlow graph); cnnlens imports TF.js layers models (format "layers-model", converted from Keras). Convert the original Keras model with tensorflowjs_converter --output_format tfjs_layers_model, or export it to ONNX.');
  }
  if (!isObject(topo)) fail('MODEL_FORMAT', 'model.json has no modelTopology object.');
}

/** A TF.js layers model (the parsed model.json and all weight shards concatenated in manifest order). */
export function tfjsSource(modelJson: unknown, weightData: Uint8Array): KerasSource {
  assertLayersModel(modelJson);
  const topo = modelJson['modelTopology'] as Json;
  const modelConfig = isObject(topo['model_config']) ? topo['model_config'] : topo;
  if (typeof modelConfig['class_name'] !== 'string') fail('MODEL_FORMAT', 'model.json: modelTopology holds no Keras model config (class_name and config).');
  const version = topo['keras_version'];
  const weights = new NamedWeights(decodeWeights(weightSpecs(modelJson), weightData));
  return { modelConfig, weights, format: 'tfjs', ...(typeof version === 'string' ? { kerasVersion: version } : {}) };
}
