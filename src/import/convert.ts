/**
 * Keras model config + weights → ONNX (opset 17). Walks Sequential and functional configs (nested
 * models are inlined), hands each layer call to its converter in `layers/`, and names every layer's
 * output tensor after the layer. The input keeps Keras's NHWC layout; one Transpose makes it NCHW.
 */
import { fail } from '../errors.js';
import { attrs } from '../onnx/graph.js';
import { DType, type Dim, type ValueInfo } from '../onnx/ir.js';
import { makeModel } from '../onnx/load.js';
import { GraphBuilder, graphShape, type Value } from './builder.js';
import type { ImportedModel, KerasSource } from './types.js';
import { TO_NCHW, type KerasLayer, type LayerCall, type LayerConverter } from './layers/common.js';
import { activationLayers } from './layers/activations.js';
import { convLayers } from './layers/conv.js';
import { denseLayers } from './layers/dense.js';
import { identityLayers } from './layers/identity.js';
import { mergeLayers } from './layers/merge.js';
import { normalizationLayers } from './layers/normalization.js';
import { paddingLayers } from './layers/padding.js';
import { poolingLayers } from './layers/pooling.js';
import { preprocessingLayers } from './layers/preprocessing.js';
import { reshapeLayers } from './layers/reshape.js';

const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  ...activationLayers,
  ...convLayers,
  ...denseLayers,
  ...identityLayers,
  ...mergeLayers,
  ...normalizationLayers,
  ...paddingLayers,
  ...poolingLayers,
  ...preprocessingLayers,
  ...reshapeLayers,
};

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);
const PREPROCESSING = new Set(['Rescaling', 'Normalization']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A layer entry of a model config, checked. */
interface LayerEntry extends KerasLayer {
  readonly raw: Json;
}

function layerEntry(raw: unknown, where: string): LayerEntry {
  if (!isObject(raw) || typeof raw['class_name'] !== 'string') fail('MODEL_FORMAT', `${where}: a layer entry without a class_name.`);
  const config = raw['config'];
  // a nested Sequential of old Keras versions has a bare list of layers as its config
  const cfg: Json = Array.isArray(config) ? { layers: config } : isObject(config) ? config : {};
  const name = typeof raw['name'] === 'string' ? raw['name'] : cfg['name'];
  if (typeof name !== 'string' || name === '') fail('MODEL_FORMAT', `${where}: a ${raw['class_name']} layer without a name.`);
  return { className: raw['class_name'], name, config: cfg, raw };
}

/** The input shape a layer config declares (batch axis dropped), if any. */
function declaredShape(e: LayerEntry): (number | null)[] | undefined {
  const s = e.config['batch_input_shape'] ?? e.config['batch_shape'];
  if (s === undefined || s === null) return undefined;
  if (!Array.isArray(s) || s.length < 2 || !s.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d > 0))) {
    fail('MODEL_FORMAT', `${e.className} layer '${e.name}': batch_input_shape ${JSON.stringify(s)} is not a shape.`);
  }
  return (s as (number | null)[]).slice(1);
}

class Converter {
  readonly b = new GraphBuilder();
  readonly layers = new Map<string, string>();
  hasPreprocessing = false;
  /** the input tensor and the outputs of preprocessing layers applied directly to it */
  private readonly inputLike = new Set<string>();
  input: { name: string; shape: (number | null)[] } | undefined;
  /** layer names of each enclosing model level, outermost first: inner layers yield these names */
  private readonly levels: Set<string>[] = [];

  constructor(readonly source: KerasSource) {}

  /** Converts a (possibly nested) model; `path` is the chain of enclosing model layer names. */
  model(raw: unknown, path: readonly string[], inputs: readonly Value[] | undefined, where: string): Value[] {
    if (!isObject(raw)) fail('MODEL_FORMAT', `${where}: the model config is not an object.`);
    const cls = raw['class_name'];
    if (typeof cls !== 'string' || !MODEL_CLASSES.has(cls)) {
      fail('MODEL_UNSUPPORTED', `${where}: model class ${JSON.stringify(cls)}; cnnlens imports Sequential and functional (Model/Functional) Keras models.`);
    }
    const config = raw['config'];
    if (cls === 'Sequential') {
      const list = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
      if (!Array.isArray(list) || list.length === 0) fail('MODEL_FORMAT', `${where}: a Sequential model without layers.`);
      const entries = list.map((l, i) => layerEntry(l, `${where}, layer ${i}`));
      return this.level(entries, () => [this.sequential(entries, path, inputs, where)]);
    }
    if (!isObject(config) || !Array.isArray(config['layers'])) fail('MODEL_FORMAT', `${where}: a functional model config without a layers list.`);
    const entries = (config['layers'] as unknown[]).map((l, i) => layerEntry(l, `${where}, layer ${i}`));
    return this.level(entries, () => this.functional(config, entries, path, inputs, where));
  }

  private level<T>(entries: readonly LayerEntry[], f: () => T): T {
    this.levels.push(new Set(entries.map((e) => e.name)));
    try {
      return f();
    } finally {
      this.levels.pop();
    }
  }

  /** True when an enclosing model level has a layer of this name (it keeps the plain name). */
  private outerHas(name: string): boolean {
    return this.levels.slice(0, -1).some((l) => l.has(name));
  }

  private sequential(entries: LayerEntry[], path: readonly string[], inputs: readonly Value[] | undefined, where: string): Value {
    let x: Value;
    let rest = entries;
    const first = entries[0]!;
    if (inputs) {
      if (inputs.length !== 1) fail('MODEL_FORMAT', `${where}: a Sequential model called with ${inputs.length} inputs.`);
      x = inputs[0]!;
      if (first.className === 'InputLayer') {
        this.record(path, first.name, x.isInput ? this.input!.name : x.name);
        rest = entries.slice(1);
      }
    } else if (first.className === 'InputLayer') {
      x = this.graphInput(first.name, declaredShape(first), where);
      this.record(path, first.name, x.isInput ? this.input!.name : x.name);
      rest = entries.slice(1);
    } else if (MODEL_CLASSES.has(first.className)) {
      const inner = this.innerInput(first);
      x = this.graphInput(inner.name, inner.shape, where);
    } else {
      x = this.graphInput(`${first.name}_input`, declaredShape(first), where);
    }
    for (const e of rest) x = this.callLayer(e, [x], path, 0);
    return x;
  }

  /** Name and shape of the input of a nested model used as the first layer of a Sequential. */
  private innerInput(e: LayerEntry): { name: string; shape: (number | null)[] | undefined } {
    const own = declaredShape(e);
    const cfg = e.config;
    const layers = Array.isArray(cfg['layers']) ? cfg['layers'] : [];
    const first = layers.length > 0 ? layerEntry(layers[0], `model '${e.name}'`) : undefined;
    if (e.className !== 'Sequential') {
      const inputLayers = cfg['input_layers'];
      const inName = Array.isArray(inputLayers) && Array.isArray(inputLayers[0]) ? inputLayers[0][0] : undefined;
      const entry = layers.map((l, i) => layerEntry(l, `model '${e.name}', layer ${i}`)).find((l) => l.name === inName && l.className === 'InputLayer');
      if (entry) return { name: entry.name, shape: declaredShape(entry) ?? own };
    } else if (first) {
      if (first.className === 'InputLayer') return { name: first.name, shape: declaredShape(first) ?? own };
      if (MODEL_CLASSES.has(first.className)) return this.innerInput(first);
      return { name: `${first.name}_input`, shape: declaredShape(first) ?? own };
    }
    return { name: `${e.name}_input`, shape: own };
  }

  private graphInput(name: string, shape: (number | null)[] | undefined, where: string): Value {
    if (this.input) fail('MODEL_UNSUPPORTED', `${where}: more than one input; cnnlens imports models with one image input.`);
    if (!shape) fail('MODEL_FORMAT', `${where}: the model does not declare its input shape (no InputLayer and no batch_input_shape on its first layer).`);
    this.input = { name: this.b.claim(name), shape };
    const tensor = shape.length === 3 ? this.b.op('Transpose', [name], [attrs.ints('perm', TO_NCHW)], { base: `${name}/nchw` }) : name;
    this.inputLike.add(tensor);
    return { name: tensor, shape, isInput: true };
  }

  private functional(config: Json, entries: readonly LayerEntry[], path: readonly string[], inputs: readonly Value[] | undefined, where: string): Value[] {
    const byName = new Map(entries.map((e) => [e.name, e]));
    const refs = (key: string): [string, number, number][] => {
      const v = config[key];
      const list = Array.isArray(v) && v.length > 0 && typeof v[0] === 'string' ? [v] : v;
      if (!Array.isArray(list) || !list.every((r) => Array.isArray(r) && typeof r[0] === 'string')) fail('MODEL_FORMAT', `${where}: '${key}' is missing or malformed.`);
      return list.map((r: unknown[]) => [r[0] as string, typeof r[1] === 'number' ? r[1] : 0, typeof r[2] === 'number' ? r[2] : 0]);
    };
    const inputRefs = refs('input_layers');
    const outputRefs = refs('output_layers');
    const done = new Map<string, Value>();
    if (inputs && inputs.length !== inputRefs.length) fail('MODEL_FORMAT', `${where}: called with ${inputs.length} inputs, declares ${inputRefs.length}.`);
    inputRefs.forEach(([name], i) => {
      const e = byName.get(name);
      if (!e) fail('MODEL_FORMAT', `${where}: input layer '${name}' is not among its layers.`);
      let v: Value;
      if (inputs) v = inputs[i]!;
      else v = this.graphInput(name, declaredShape(e), where);
      this.record(path, name, v.isInput ? this.input!.name : v.name);
      done.set(`${name}#0`, v);
    });

    // Keras 2 numbers the calls of a nested model from 1 in references (its node 0, the one linking its
    // own Input to its output, is left out of `inbound_nodes`); tfjs numbers them from 0. A reference
    // one past the end of a layer's `inbound_nodes` tells which convention the file uses.
    const maxRef = new Map<string, number>();
    const noteRef = (ref: unknown) => {
      if (Array.isArray(ref) && typeof ref[0] === 'string' && typeof ref[1] === 'number') maxRef.set(ref[0], Math.max(maxRef.get(ref[0]) ?? 0, ref[1]));
    };
    for (const e of entries) {
      const inbound = e.raw['inbound_nodes'];
      if (Array.isArray(inbound)) for (const call of inbound) if (Array.isArray(call)) call.forEach(noteRef);
    }
    outputRefs.forEach(noteRef);
    const nodeOffset = (e: LayerEntry): number => {
      const inbound = e.raw['inbound_nodes'];
      const calls = Array.isArray(inbound) ? inbound.length : 0;
      return MODEL_CLASSES.has(e.className) && (maxRef.get(e.name) ?? 0) >= calls ? 1 : 0;
    };

    const resolve = (name: string, node: number, tensor: number, stack: Set<string>): Value => {
      const key = `${name}#${node}`;
      const have = done.get(key);
      if (have) return tensorOf(have, tensor, name);
      const e = byName.get(name);
      if (!e) fail('MODEL_FORMAT', `${where}: layer '${name}' is referenced but not defined.`);
      if (e.className === 'InputLayer') fail('MODEL_FORMAT', `${where}: input layer '${name}' is not listed in input_layers.`);
      if (stack.has(key)) fail('MODEL_FORMAT', `${where}: layer '${name}' is part of a cycle.`);
      stack.add(key);
      const inbound = e.raw['inbound_nodes'];
      const index = node - nodeOffset(e);
      if (!Array.isArray(inbound) || index < 0 || index >= inbound.length) fail('MODEL_FORMAT', `${where}: layer '${name}' has no inbound node ${node}.`);
      const call = inbound[index];
      if (!Array.isArray(call)) {
        fail('MODEL_FORMAT', `${where}: inbound node ${node} of layer '${name}' is not in the Keras 2 form [[layer, node, tensor, kwargs], ...].`);
      }
      const args = call.map((ref: unknown) => {
        if (!Array.isArray(ref) || typeof ref[0] !== 'string') fail('MODEL_FORMAT', `${where}: layer '${name}' has a malformed inbound reference ${JSON.stringify(ref)}.`);
        return resolve(ref[0], typeof ref[1] === 'number' ? ref[1] : 0, typeof ref[2] === 'number' ? ref[2] : 0, stack);
      });
      stack.delete(key);
      const out = this.callLayer(e, args, path, index);
      done.set(key, out);
      return tensorOf(out, tensor, name);
    };
    return outputRefs.map(([name, node, tensor]) => resolve(name, node, tensor, new Set()));
  }

  /** Converts one call of a layer (or a nested model) and records its output tensor. */
  private callLayer(e: LayerEntry, inputs: readonly Value[], path: readonly string[], node: number): Value {
    if (MODEL_CLASSES.has(e.className)) {
      const outs = this.model({ class_name: e.className, config: e.config }, [...path, e.name], inputs, `model '${[...path, e.name].join('/')}'`);
      if (outs.length !== 1) fail('MODEL_UNSUPPORTED', `nested model '${e.name}' has ${outs.length} outputs; nested models with one output are supported.`);
      const out = this.outputName(path, e.name, node);
      this.b.op('Identity', [outs[0]!.name], [], out);
      if (node === 0) this.record(path, e.name, out);
      return { name: out, shape: outs[0]!.shape };
    }
    const conv = CONVERTERS[e.className];
    if (!conv) {
      fail('MODEL_UNSUPPORTED', `layer '${[...path, e.name].join('/')}' is a ${e.className}, which cnnlens cannot import. Supported layers: ${Object.keys(CONVERTERS).sort().join(', ')}, InputLayer and nested Sequential/functional models.`);
    }
    const preprocessing = PREPROCESSING.has(e.className) && inputs.some((v) => this.inputLike.has(v.name));
    if (preprocessing) this.hasPreprocessing = true;
    const out = this.outputName(path, e.name, node);
    const weightPath = [...path, e.name];
    const call: LayerCall = {
      b: this.b,
      layer: e,
      inputs,
      out,
      weights: () => this.source.weights.layerWeights(weightPath),
      kerasVersion: this.source.kerasVersion,
    };
    const v = conv(call);
    if (preprocessing) this.inputLike.add(v.name);
    // a shared layer's later calls are reachable by tensor name (`<layer>_call<k>`); the map names the first
    if (node === 0) this.record(path, e.name, v.name);
    return v;
  }

  /** The layer's own name; prefixed by its enclosing models only on a clash. */
  private outputName(path: readonly string[], name: string, node: number): string {
    const base = node === 0 ? name : `${name}_call${node}`;
    if (!this.b.isUsed(base) && !this.outerHas(base)) return this.b.claim(base);
    return this.b.fresh([...path, base].join('/'));
  }

  private record(path: readonly string[], name: string, tensor: string): void {
    const full = [...path, name].join('/');
    if (!this.layers.has(full)) this.layers.set(full, tensor);
    if (path.length === 0 || (!this.layers.has(name) && !this.outerHas(name))) this.layers.set(name, tensor);
  }
}

function tensorOf(v: Value, tensor: number, name: string): Value {
  if (tensor !== 0) fail('MODEL_UNSUPPORTED', `layer '${name}' is used through its output ${tensor}; cnnlens imports layers with one output.`);
  return v;
}

/** Converts a Keras model (config + weights) to an ONNX model whose layer outputs are named after the layers. */
export function convertKeras(source: KerasSource): ImportedModel {
  const c = new Converter(source);
  const outputs = c.model(source.modelConfig, [], undefined, 'model');
  const input = c.input;
  if (!input) fail('MODEL_FORMAT', 'the model has no input layer.');
  const dim = (d: number | null, sym: string): Dim => d ?? sym;
  const inShape: Dim[] = input.shape.length === 3 ? ['N', dim(input.shape[0]!, 'H'), dim(input.shape[1]!, 'W'), dim(input.shape[2]!, 'C')] : ['N', ...input.shape.map((d, i) => dim(d, `d${i + 1}`))];
  const seen = new Set<string>();
  const outputInfos: ValueInfo[] = [];
  for (const o of outputs) {
    if (seen.has(o.name)) continue;
    seen.add(o.name);
    outputInfos.push({ name: o.name, type: { elemType: DType.FLOAT, shape: ['N', ...graphShape(o.shape)] } });
  }
  const cfg = source.modelConfig as Json;
  const modelName = isObject(cfg) && isObject(cfg['config']) && typeof cfg['config']['name'] === 'string' ? cfg['config']['name'] : 'keras_model';
  const model = makeModel({
    name: modelName,
    nodes: c.b.nodes,
    initializers: c.b.initializers,
    inputs: [{ name: input.name, type: { elemType: DType.FLOAT, shape: inShape } }],
    outputs: outputInfos,
    opset: 17,
  });
  const metadata: { key: string; value: string }[] = [{ key: 'cnnlens.source_format', value: source.format }];
  if (source.kerasVersion) metadata.push({ key: 'cnnlens.keras_version', value: source.kerasVersion });
  const hw = input.shape.length === 3 ? input.shape : [];
  return {
    model: { ...model, metadata },
    format: source.format,
    layers: c.layers,
    inputHints: {
      ...(typeof hw[0] === 'number' ? { height: hw[0] } : {}),
      ...(typeof hw[1] === 'number' ? { width: hw[1] } : {}),
      ...(typeof hw[2] === 'number' ? { channels: hw[2] } : {}),
      hasPreprocessing: c.hasPreprocessing,
    },
  };
}

