/**
 * Test fixtures for the Keras file readers: TF.js models with seeded random weights (the numeric oracle),
 * written into a Keras 2 full-model `.h5` and a Keras 3 `.keras` zip laid out exactly as Keras writes them:
 * - `.h5`: keras/src/legacy/saving/legacy_h5_format.py `save_model_to_hdf5` / `save_weights_to_hdf5_group`
 *   (same layout as tf.keras 2.x hdf5_format.py): byte-string attributes (h5py stores `str.encode()` as a
 *   fixed-length string), `layer_names` without a Sequential's InputLayer, weight names `layer/var:0`,
 *   a nested model's group holding all inner weights, trainable first.
 * - `.keras`: keras/src/saving/saving_lib.py (`_save_state`, `_save_container_state`, `H5Entry`) with a
 *   Keras 3 config derived from the TF.js (Keras 2 dialect) config by the rules of
 *   keras/src/models/functional.py `get_config` and keras/src/saving/serialization_lib.py.
 */
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm';
import type { File as H5File, Group } from 'h5wasm';
import { zipSync } from 'fflate';
import { Random } from '../../src/util/random.js';
import { toSnakeCase } from '../../src/import/keras-file.js';

type Obj = Record<string, any>;

export async function tfjsCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Fills every weight with seeded values (BatchNormalization variances positive, gammas near 1). */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rnd = new Random(seed);
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const short = w.originalName.split('/').pop()!;
    const data =
      short === 'moving_variance' ? rnd.uniforms(n, 0.5, 1.5)
      : short === 'gamma' ? rnd.uniforms(n, 0.7, 1.3)
      : short.endsWith('kernel') ? rnd.normals(n, 0.3)
      : rnd.normals(n, 0.1);
    return tf.tensor(data, shape, 'float32');
  });
  model.setWeights(values);
  tf.dispose(values);
}

/** A functional base (Conv2D, BatchNormalization, DepthwiseConv2D, SeparableConv2D, Add, ReLU). */
function base(name: string): tf.LayersModel {
  const inp = tf.input({ shape: [12, 12, 3], name: `${name}_img` });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' }).apply(inp) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn', epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'conv1_relu' }).apply(x) as tf.SymbolicTensor;
  let y = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'sep' }).apply(y) as tf.SymbolicTensor;
  const out = tf.layers.add({ name: 'add' }).apply([x, y]) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out, name });
}

/** Sequential([InputLayer, functional base, GlobalAveragePooling2D, Dense softmax]): a fine-tuned backbone. */
export function sequentialAroundBase(seed = 1): tf.Sequential {
  const seq = tf.sequential({ name: 'finetuned' });
  seq.add(tf.layers.inputLayer({ inputShape: [12, 12, 3], name: 'finetuned_input' }));
  seq.add(base('backbone'));
  seq.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  seq.add(tf.layers.dense({ units: 4, activation: 'softmax', name: 'predictions' }));
  randomizeWeights(seq, seed);
  return seq;
}

/** A functional model calling a functional base and a nested Sequential head. */
export function functionalWithSequentialHead(seed = 2): tf.LayersModel {
  const inp = tf.input({ shape: [12, 12, 3], name: 'image' });
  const features = base('features').apply(inp) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(features) as tf.SymbolicTensor;
  const head = tf.sequential({ name: 'head' });
  head.add(tf.layers.dense({ units: 5, activation: 'relu', inputShape: [6], name: 'fc1' }));
  head.add(tf.layers.dense({ units: 3, name: 'fc2' }));
  const out = head.apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out, name: 'classifier' });
  randomizeWeights(model, seed);
  return model;
}

/** The model's config in the Keras 2 dialect, `{class_name, config}`, as Keras 2 stores `model_config`. */
export function keras2Config(model: tf.LayersModel): Obj {
  const json = model.toJSON(null, false) as Obj;
  return { class_name: json['class_name'], config: json['config'] };
}

export interface LayerWeights {
  /** layer path: ['finetuned', ...] is not included; ['backbone', 'conv1'] or ['gap'] */
  path: string[];
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

const isModel = (l: tf.layers.Layer): l is tf.LayersModel => l instanceof tf.LayersModel;
const isInput = (l: tf.layers.Layer): boolean => l.getClassName() === 'InputLayer';

/** The layers of a model as Keras lists them in `model.layers` (no InputLayer for a Sequential). */
function kerasLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model instanceof tf.Sequential ? model.layers.filter((l) => !isInput(l)) : model.layers;
}

function weightsOf(vars: readonly tf.LayerVariable[]): LayerWeights['weights'] {
  return vars.map((v) => ({ name: v.originalName.split('/').pop()!, shape: [...v.shape] as number[], data: v.read().dataSync() as Float32Array }));
}

/** Every layer's weights, by path, in `layer.weights` order (the readers' expected answer). */
export function expectedWeights(model: tf.LayersModel): LayerWeights[] {
  const out: LayerWeights[] = [];
  const walk = (m: tf.LayersModel, prefix: string[]): void => {
    for (const l of kerasLayers(m)) {
      const path = [...prefix, l.name];
      if (isModel(l)) walk(l, path);
      else out.push({ path, weights: weightsOf(l.trainableWeights.concat(l.nonTrainableWeights)) });
    }
  };
  walk(model, []);
  return out;
}

async function writeH5(build: (file: H5File) => void): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const path = `/fixture-${Math.random().toString(36).slice(2)}.h5`;
  const file = new h5wasm.File(path, 'w');
  try {
    build(file);
    file.flush();
  } finally {
    file.close();
  }
  const bytes = FS.readFile(path);
  FS.unlink(path);
  return bytes;
}

/** A fixed-length byte-string attribute, as h5py stores `bytes` and numpy `S` arrays. */
function bytesAttr(g: Group, name: string, value: string | string[]): void {
  const values = typeof value === 'string' ? [value] : value;
  const width = Math.max(1, ...values.map((v) => new TextEncoder().encode(v).length));
  if (typeof value === 'string') g.create_attribute(name, value, [], `S${width}`);
  else g.create_attribute(name, value, [value.length], `S${width}`);
}

function dataset(root: Group, path: string, shape: number[], data: Float32Array, dtype: '<f' | '<d'): void {
  const parts = path.split('/');
  let g = root;
  for (const p of parts.slice(0, -1)) g = (g.get(p) as Group | null) ?? g.create_group(p);
  g.create_dataset({ name: parts[parts.length - 1]!, data: dtype === '<d' ? Float64Array.from(data) : data, shape, dtype });
}

export interface H5Options {
  /** weight names of a nested model's layers: `conv1/kernel:0` (tf.keras 2.x) or `backbone/conv1/kernel:0` */
  nestedNames?: 'bare' | 'prefixed';
  dtype?: '<f' | '<d';
  /** split `layer_names` into `layer_names0`, `layer_names1` as Keras does past 64 KB */
  chunkLayerNames?: boolean;
  kerasVersion?: string;
}

/** A Keras 2 full-model `.h5` holding the model's config and weights. */
export async function kerasH5Bytes(model: tf.LayersModel, opts: H5Options = {}): Promise<Uint8Array> {
  const dtype = opts.dtype ?? '<f';
  const version = opts.kerasVersion ?? '2.15.0';
  return writeH5((file) => {
    bytesAttr(file, 'backend', 'tensorflow');
    bytesAttr(file, 'keras_version', version);
    bytesAttr(file, 'model_config', JSON.stringify(keras2Config(model)));
    const mw = file.create_group('model_weights');
    const layers = kerasLayers(model);
    const names = layers.map((l) => l.name);
    if (opts.chunkLayerNames && names.length > 1) {
      const half = Math.ceil(names.length / 2);
      bytesAttr(mw, 'layer_names0', names.slice(0, half));
      bytesAttr(mw, 'layer_names1', names.slice(half));
    } else {
      bytesAttr(mw, 'layer_names', names);
    }
    bytesAttr(mw, 'backend', 'tensorflow');
    bytesAttr(mw, 'keras_version', version);
    for (const layer of [...layers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const g = mw.create_group(layer.name);
      // _legacy_weights: trainable then non-trainable (for a nested model, over all its layers)
      const vars = layer.trainableWeights.concat(layer.nonTrainableWeights);
      const prefix = isModel(layer) && opts.nestedNames === 'prefixed' ? `${layer.name}/` : '';
      const weightNames = vars.map((v) => `${prefix}${v.originalName}:0`);
      // h5py stores an empty name list as an empty float64 array
      if (weightNames.length === 0) g.create_attribute('weight_names', new Float64Array(0), [0], '<d');
      else bytesAttr(g, 'weight_names', weightNames);
      vars.forEach((v, i) => dataset(g, weightNames[i]!, [...v.shape] as number[], v.read().dataSync() as Float32Array, dtype));
    }
  });
}

// ---- Keras 3 ----

const policy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

/** A Keras 2 dialect value inside a layer config, in Keras 3 form (nested objects get module/registered_name). */
function k3Value(v: any, module: string): any {
  if (Array.isArray(v)) return v.map((x) => k3Value(x, module));
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.class_name === 'string' && 'config' in v) {
    return { module, class_name: v.class_name, config: k3Value(v.config, module), registered_name: null };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k3Value(x, module)]));
}

function k3LayerConfig(config: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'batch_input_shape') out['batch_shape'] = v;
    else if (k.endsWith('_initializer')) out[k] = k3Value(v, 'keras.initializers');
    else out[k] = k3Value(v, 'keras.layers');
  }
  if (!('batch_input_shape' in config)) out['dtype'] = policy(typeof config['dtype'] === 'string' ? config['dtype'] : 'float32');
  return out;
}

function tensorRef(ref: any[], shifted: Set<string>): Obj {
  const [name, node, index] = ref as [string, number, number];
  return { class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [name, shifted.has(name) ? node - 1 : node, index] } };
}

/** Keras 3 `{module, class_name, config, registered_name, ...}` for a layer entry of the Keras 2 dialect. */
function k3Layer(entry: Obj, shifted: Set<string>): Obj {
  const nested = Array.isArray(entry['config']?.layers);
  const out: Obj = nested
    ? k3Model(entry)
    : { module: 'keras.layers', class_name: entry['class_name'], config: k3LayerConfig(entry['config']), registered_name: null };
  if (!nested && entry['class_name'] !== 'InputLayer') out['build_config'] = { input_shape: null };
  if ('name' in entry) out['name'] = entry['name'];
  if (Array.isArray(entry['inbound_nodes'])) {
    out['inbound_nodes'] = entry['inbound_nodes'].map((node: any[][]) => {
      const tensors = node.map((ref) => tensorRef(ref, shifted));
      return { args: tensors.length === 1 ? [tensors[0]] : [tensors], kwargs: {} };
    });
  }
  return out;
}

/** A Keras 2 dialect model config in the Keras 3 dialect of `config.json`. */
export function k3Model(model: Obj): Obj {
  const config = model['config'] as Obj;
  if (model['class_name'] === 'Sequential') {
    const layers = (config['layers'] as Obj[]).map((l) => k3Layer(l, new Set()));
    const first = (config['layers'] as Obj[])[0]!;
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: config['name'], trainable: true, dtype: policy('float32'), layers, build_input_shape: first['config']['batch_input_shape'] },
      registered_name: null,
      build_config: { input_shape: first['config']['batch_input_shape'] },
    };
  }
  // Keras 3 references a nested Sequential at node 0 (Keras 2: node 1); nested Functionals keep node 1
  const shifted = new Set((config['layers'] as Obj[]).filter((l) => l['class_name'] === 'Sequential').map((l) => l['name'] as string));
  const ref = (r: any[]) => [r[0], shifted.has(r[0]) ? r[1] - 1 : r[1], r[2]];
  const endpoints = (refs: any[][]) => (refs.length === 1 ? ref(refs[0]!) : refs.map(ref));
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: config['name'],
      trainable: true,
      layers: (config['layers'] as Obj[]).map((l) => k3Layer(l, shifted)),
      input_layers: endpoints(config['input_layers']),
      output_layers: endpoints(config['output_layers']),
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

export interface KerasZipOptions {
  /** leave out or replace members of the zip */
  members?: Record<string, Uint8Array | undefined>;
}

/** A Keras 3 `.keras` zip: metadata.json, config.json and model.weights.h5. */
export async function kerasZipBytes(model: tf.LayersModel, opts: KerasZipOptions = {}): Promise<Uint8Array> {
  const config = { ...k3Model(keras2Config(model)), compile_config: null };
  const weights = await writeH5((file) => {
    file.create_group('vars');
    const save = (m: tf.LayersModel, group: Group): void => {
      const layersGroup = group.create_group('layers');
      const used = new Map<string, number>();
      for (const l of kerasLayers(m)) {
        let key = toSnakeCase(isModel(l) ? (l instanceof tf.Sequential ? 'Sequential' : 'Functional') : l.getClassName());
        const n = used.get(key);
        used.set(key, n === undefined ? 0 : n + 1);
        if (n !== undefined) key = `${key}_${n + 1}`;
        const g = layersGroup.create_group(key);
        const vars = g.create_group('vars');
        if (isModel(l)) save(l, g);
        else {
          l.trainableWeights.concat(l.nonTrainableWeights).forEach((v, i) => {
            vars.create_dataset({ name: String(i), data: v.read().dataSync() as Float32Array, shape: [...v.shape] as number[], dtype: '<f' });
          });
        }
      }
    };
    save(model, file);
  });
  const enc = new TextEncoder();
  const members: Record<string, Uint8Array> = {
    'metadata.json': enc.encode(JSON.stringify({ keras_version: '3.6.0', date_saved: '2024-10-01@12:00:00' })),
    'config.json': enc.encode(JSON.stringify(config)),
    'model.weights.h5': weights,
  };
  for (const [k, v] of Object.entries(opts.members ?? {})) {
    if (v === undefined) delete members[k];
    else members[k] = v;
  }
  return zipSync(members);
}

/** Random NHWC inputs. */
export function randomInput(shape: number[], seed: number): Float32Array {
  return Float32Array.from(new Random(seed).uniforms(shape.reduce((a, b) => a * b, 1), -1, 1));
}
