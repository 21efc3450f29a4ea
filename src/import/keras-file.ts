/**
 * Reads a Keras 3 `.keras` file (also the `.keras` files of tf.keras 2.13–2.15) into a `KerasSource`.
 *
 * The zip, as keras/src/saving/saving_lib.py writes it: `metadata.json` ({keras_version, date_saved}),
 * `config.json` (the serialized model) and `model.weights.h5`. In the weights file every saveable has a
 * group; a layer's own variables are datasets `vars/0`, `vars/1`, ... in `save_own_variables` order
 * (trainable then non-trainable, i.e. `layer.weights`). Layers of a model are addressed not by name but
 * by class: `layers/<snake_case(class name)>`, and the second, third, ... layer of one class in the same
 * model gets `_1`, `_2`, ... (`_save_container_state`), in `model.layers` order — the order of the
 * config's `layers` list, less a Sequential's InputLayer. A nested model's layers sit below its group:
 * `layers/functional/layers/conv2d/vars/0` (`readKerasVars` in h5.ts reads them).
 */
import { unzipSync } from 'fflate';
import { fail } from '../errors.js';
import { inProcessHdf5, type Hdf5ReadOptions } from './h5.js';
import { keras3ToKeras2Config } from './keras3-config.js';
import type { KerasSource, WeightSource } from './types.js';

const WEIGHTS_FILE = 'model.weights.h5';

/** keras/src/utils/naming.py `to_snake_case`. */
export function toSnakeCase(name: string): string {
  const s = name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Layer path (names joined by '/') → group path in the weights file, for every layer of the model. */
export function weightGroupPaths(modelConfig: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (model: Obj, names: readonly string[], prefix: string): void => {
    const config = isObj(model['config']) ? model['config'] : {};
    const layers = Array.isArray(config['layers']) ? config['layers'] : [];
    const sequential = model['class_name'] === 'Sequential';
    const used = new Map<string, number>();
    for (const layer of layers) {
      if (!isObj(layer) || typeof layer['class_name'] !== 'string') continue;
      if (sequential && layer['class_name'] === 'InputLayer') continue; // Sequential.layers leaves it out
      let key = toSnakeCase(layer['class_name']);
      const n = used.get(key);
      used.set(key, n === undefined ? 0 : n + 1);
      if (n !== undefined) key = `${key}_${n + 1}`;
      const layerConfig = isObj(layer['config']) ? layer['config'] : {};
      const name = typeof layerConfig['name'] === 'string' ? layerConfig['name'] : layer['name'];
      if (typeof name !== 'string') continue;
      const path = [...names, name];
      const group = `${prefix}layers/${key}`;
      out.set(path.join('/'), group);
      if (Array.isArray(layerConfig['layers'])) walk(layer, path, `${group}/`);
    }
  };
  if (isObj(modelConfig)) walk(modelConfig, [], '');
  return out;
}

function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    fail('MODEL_FORMAT', `${name} inside the .keras file is not valid JSON (${(e as Error).message}); save the model again with model.save('model.keras')`, e);
  }
}

function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail('MODEL_FORMAT', `the .keras file is not a zip archive; give a file saved by Keras with model.save('model.keras')`);
  }
  try {
    return unzipSync(bytes);
  } catch (e) {
    fail('MODEL_FORMAT', `the .keras file is a damaged or truncated zip archive (${(e as Error).message}); copy or save it again`, e);
  }
}

/** Reads a Keras `.keras` file; `options` say where its weights file is read (h5.ts `Hdf5ReadOptions`). */
export async function kerasFileSource(bytes: Uint8Array, options: Hdf5ReadOptions = {}): Promise<KerasSource> {
  const files = unzip(bytes);
  const configBytes = files['config.json'];
  if (configBytes === undefined) {
    fail('MODEL_FORMAT', `the .keras file has no config.json (it holds ${Object.keys(files).join(', ') || 'nothing'}); save the whole model with model.save('model.keras')`);
  }
  const rawConfig = parseJson(configBytes, 'config.json');
  if (!isObj(rawConfig) || typeof rawConfig['class_name'] !== 'string') {
    fail('MODEL_FORMAT', `config.json inside the .keras file is not a serialized Keras model (no class_name); save the model again with model.save('model.keras')`);
  }
  const metadata = files['metadata.json'] !== undefined ? parseJson(files['metadata.json'], 'metadata.json') : undefined;
  const kerasVersion = isObj(metadata) && typeof metadata['keras_version'] === 'string' ? metadata['keras_version'] : undefined;

  const weightBytes = files[WEIGHTS_FILE];
  if (weightBytes === undefined) {
    if (files['model.weights.npz'] !== undefined) {
      fail('MODEL_UNSUPPORTED', `the .keras file stores its weights as model.weights.npz; save it with the default weights format (h5)`);
    }
    fail('MODEL_FORMAT', `the .keras file has no ${WEIGHTS_FILE}; save the whole model with model.save('model.keras')`);
  }

  const groups = weightGroupPaths(rawConfig);
  const what = `${WEIGHTS_FILE} inside ${options.name !== undefined ? `'${options.name}'` : 'the .keras file'}`;
  const read = await (options.reader ?? inProcessHdf5).readVars(weightBytes, what, [...new Set(groups.values())]);
  const byGroup = new Map(read);

  const weights: WeightSource = {
    layerWeights: (path) => {
      const group = groups.get(path.join('/'));
      return (group !== undefined ? byGroup.get(group) : undefined) ?? [];
    },
  };
  return {
    modelConfig: keras3ToKeras2Config(rawConfig),
    weights,
    format: 'keras',
    ...(kerasVersion !== undefined ? { kerasVersion } : {}),
  };
}
