/**
 * Rewrites a Keras 3 model config (`config.json` of a `.keras` file, or Keras 3's legacy `.h5`) into the
 * Keras 2 dialect the converter reads. Keras 2 parts pass through unchanged, so a config that is
 * already Keras 2 comes back equal (but for the class name `Functional`, which becomes `Model`).
 *
 * Keras 3 forms (keras/src/models/functional.py `get_config`/`serialize_node`,
 * keras/src/saving/serialization_lib.py `serialize_keras_object`) and what they become:
 * - objects `{module, class_name, config, registered_name, build_config, ...}` → `{class_name, config}`
 * - `inbound_nodes: [{args: [__keras_tensor__ | [__keras_tensor__, ...]], kwargs}]`
 *   → `[[[layer, node, tensor, kwargs], ...]]`
 * - `input_layers: [name, 0, 0]` (one input) → `[[name, 0, 0]]`
 * - `batch_shape` → `batch_input_shape`; a `DTypePolicy` object → its name
 * - `Functional` → `Model`; a Sequential gets an InputLayer first when it has none
 * - a nested Sequential is referenced at node 0 in Keras 3 but at node 1 in Keras 2 (where Sequential is
 *   a Functional with a built-in first node), so references to it are shifted.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const MODEL_CLASSES = new Set(['Functional', 'Model', 'Sequential']);
const DTYPE_POLICIES = new Set(['DTypePolicy', 'FloatDTypePolicy', 'QuantizedDTypePolicy', 'QuantizedFloat8DTypePolicy', 'Policy']);

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTensorRef(v: unknown): v is JsonObject {
  return isObject(v) && v['class_name'] === '__keras_tensor__' && isObject(v['config']);
}

/** A serialized value inside a layer config: nested Keras objects flattened to `{class_name, config}`. */
function convertValue(v: Json): Json {
  if (Array.isArray(v)) return v.map(convertValue);
  if (!isObject(v)) return v;
  if (v['class_name'] === '__tuple__' && isObject(v['config']) && Array.isArray(v['config']['value'])) {
    return convertValue(v['config']['value']);
  }
  if (typeof v['class_name'] === 'string' && 'config' in v && ('module' in v || 'registered_name' in v)) {
    if (DTYPE_POLICIES.has(v['class_name']) && isObject(v['config']) && typeof v['config']['name'] === 'string') {
      return v['config']['name'];
    }
    return { class_name: v['class_name'], config: convertValue(v['config'] ?? null) };
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = convertValue(x);
  return out;
}

function convertLayerConfig(config: Json): Json {
  if (!isObject(config)) return config;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'batch_shape') {
      if (!('batch_input_shape' in config)) out['batch_input_shape'] = convertValue(v);
    } else {
      out[k] = convertValue(v);
    }
  }
  return out;
}

/** Names of the layers of one model that are Sequential models (their node indices shift by one). */
function sequentialNames(layers: Json[]): Set<string> {
  const names = new Set<string>();
  for (const l of layers) {
    if (isObject(l) && l['class_name'] === 'Sequential' && 'module' in l) {
      const name = l['name'] ?? (isObject(l['config']) ? l['config']['name'] : undefined);
      if (typeof name === 'string') names.add(name);
    }
  }
  return names;
}

function historyRef(history: Json, shifted: Set<string>): Json[] | undefined {
  if (!Array.isArray(history) || typeof history[0] !== 'string') return undefined;
  const [layer, node = 0, tensor = 0] = history as [string, number?, number?];
  return [layer, shifted.has(layer) ? node + 1 : node, tensor];
}

/** Keras tensors of a node's args, in the order Keras flattens them (dict values by sorted key). */
function collectTensors(v: Json, out: JsonObject[]): void {
  if (isTensorRef(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out);
  else if (isObject(v)) {
    if (v['class_name'] === '__tuple__' && isObject(v['config'])) collectTensors(v['config']['value'] ?? null, out);
    else for (const k of Object.keys(v).sort()) collectTensors(v[k]!, out);
  }
}

function hasTensor(v: Json): boolean {
  const found: JsonObject[] = [];
  collectTensors(v, found);
  return found.length > 0;
}

function convertNode(node: Json, shifted: Set<string>): Json {
  if (!isObject(node)) return node; // already Keras 2: [[layer, node, tensor, kwargs], ...]
  const tensors: JsonObject[] = [];
  collectTensors(node['args'] ?? [], tensors);
  const kwargs: JsonObject = {};
  if (isObject(node['kwargs'])) {
    for (const [k, v] of Object.entries(node['kwargs'])) if (!hasTensor(v)) kwargs[k] = convertValue(v);
  }
  return tensors.map((t) => [...(historyRef((t['config'] as JsonObject)['keras_history'] ?? null, shifted) ?? []), { ...kwargs }]);
}

/** `input_layers` / `output_layers`: a single `[name, node, tensor]` or any nesting of them, as a list. */
function convertEndpoints(v: Json | undefined, shifted: Set<string>): Json {
  if (v === undefined) return [];
  const out: Json[] = [];
  const walk = (x: Json): void => {
    if (Array.isArray(x) && typeof x[0] === 'string') out.push(historyRef(x, shifted)!);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (isObject(x)) Object.keys(x).sort().forEach((k) => walk(x[k]!));
  };
  walk(v);
  return out;
}

function convertLayerEntry(entry: Json, shifted: Set<string>): Json {
  if (!isObject(entry)) return entry;
  const className = entry['class_name'];
  const out: JsonObject = {};
  if (typeof className === 'string' && MODEL_CLASSES.has(className) && isObject(entry['config']) && Array.isArray(entry['config']['layers'])) {
    Object.assign(out, convertModel(entry));
  } else {
    out['class_name'] = className ?? null;
    out['config'] = convertLayerConfig(entry['config'] ?? null);
  }
  if ('name' in entry) out['name'] = entry['name']!;
  if (Array.isArray(entry['inbound_nodes'])) out['inbound_nodes'] = entry['inbound_nodes'].map((n) => convertNode(n, shifted));
  return out;
}

function layerName(entry: Json): string | undefined {
  if (!isObject(entry)) return undefined;
  const name = isObject(entry['config']) ? entry['config']['name'] : entry['name'];
  return typeof name === 'string' ? name : undefined;
}

function convertSequential(config: JsonObject): JsonObject {
  const layers = Array.isArray(config['layers']) ? config['layers'].map((l) => convertLayerEntry(l, new Set())) : [];
  const first = layers[0];
  const firstConfig = isObject(first) && isObject(first['config']) ? first['config'] : undefined;
  const hasInput = isObject(first) && first['class_name'] === 'InputLayer';
  const buildShape = config['build_input_shape'];
  if (!hasInput && firstConfig !== undefined && !('batch_input_shape' in firstConfig) && Array.isArray(buildShape)) {
    layers.unshift({
      class_name: 'InputLayer',
      config: { batch_input_shape: buildShape, dtype: 'float32', sparse: false, name: `${layerName(first) ?? 'sequential'}_input` },
    });
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'layers' || k === 'build_input_shape') continue;
    out[k] = convertValue(v);
  }
  out['layers'] = layers;
  return out;
}

function convertFunctional(config: JsonObject): JsonObject {
  const rawLayers = Array.isArray(config['layers']) ? config['layers'] : [];
  const shifted = sequentialNames(rawLayers);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'layers') out[k] = rawLayers.map((l) => convertLayerEntry(l, shifted));
    else if (k === 'input_layers' || k === 'output_layers') out[k] = convertEndpoints(v, shifted);
    else out[k] = convertValue(v);
  }
  return out;
}

function convertModel(model: JsonObject): JsonObject {
  const className = model['class_name'];
  const config = isObject(model['config']) ? model['config'] : {};
  if (className === 'Sequential') return { class_name: 'Sequential', config: convertSequential(config) };
  return { class_name: className === 'Functional' ? 'Model' : (className ?? null), config: convertFunctional(config) };
}

/**
 * The Keras 2 dialect of a model config (`{class_name, config}`). Top-level fields other than the model
 * (`compile_config`, `build_config`, `module`, `registered_name`) are dropped; `keras_version` and
 * `backend` are kept.
 */
export function keras3ToKeras2Config(config: unknown): unknown {
  if (!isObject(config)) return config;
  const out = convertModel(config);
  for (const k of ['keras_version', 'backend']) if (k in config) out[k] = config[k]!;
  return out;
}
