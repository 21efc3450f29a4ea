/**
 * Reads a Keras 2 full-model `.h5` file (tf.keras 2.x, standalone Keras 2.x, or Keras 3's legacy
 * `model.save('m.h5')`) into a `KerasSource`. Also holds the HDF5 access shared with the `.keras`
 * reader: bytes go into h5wasm's in-memory file system (no Node API, so this runs in a browser too),
 * everything needed is read eagerly, and the file is closed and removed again.
 *
 * Layout, as keras/src/legacy/saving/legacy_h5_format.py (and tf.keras's hdf5_format.py) write it:
 * root attributes `model_config` (JSON) and `keras_version`; group `model_weights` with attribute
 * `layer_names`; per layer a group with attribute `weight_names` (`conv1/kernel:0`) listing the
 * layer's weights in order, each a dataset at `model_weights/<layer>/<weight name>`. Attributes over
 * 64 KB are split into `layer_names0`, `layer_names1`, ... (`save_attributes_to_hdf5_group`).
 *
 * The HDF5 reading itself (`readH5Model`, `readKerasVars`) returns plain data — the parsed config and
 * Float32Arrays — so that it can run behind an `Hdf5Reader`: `inProcessHdf5` here (the browser's), or
 * `src/import/h5-in-worker.ts` in Node, which runs it in a worker thread with a time and a memory limit
 * because a damaged file can trap or hang h5wasm.
 */
import { halfToFloat } from '../onnx/tensor.js';
import h5wasm, { Module } from 'h5wasm';
import type { Dataset, Group, File as H5File } from 'h5wasm';

type H5Module = Awaited<typeof h5wasm.ready>;
import { CnnlensError, fail } from '../errors.js';
import { keras3ToKeras2Config } from './keras3-config.js';
import type { KerasSource, WeightArray, WeightSource } from './types.js';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const WEIGHTS_ONLY =
  'this file holds only weights; save the whole model with model.save(...) (a .keras file, or .h5 in Keras 2)';

let ready: Promise<H5Module> | undefined;
let fileCounter = 0;

function h5(): Promise<H5Module> {
  ready ??= h5wasm.ready.then((module) => {
    // HDF5 errors become exceptions carrying HDF5's message instead of being printed to stderr
    module.activate_throwing_error_handler();
    return module;
  });
  return ready;
}

/** Resolves when h5wasm is loaded and set up (a worker waits for it before taking files). */
export async function hdf5Ready(): Promise<void> {
  await h5();
}

/** True when the bytes start with an HDF5 superblock (at 0 or at a power-of-two user-block offset). */
export function isHdf5(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim());
  // HDF5's error stack: the innermost 'minor:' line says what went wrong
  const minor = lines.filter((l) => l.startsWith('minor:')).pop();
  return (minor ?? lines.find((l) => l.length > 0) ?? 'unknown error').replace(/^minor:\s*/, '');
}

/**
 * Opens HDF5 bytes, runs `read` on the open file and always closes and frees it. `what` names the file
 * (or the part of a zip) in messages. Errors other than CnnlensError become MODEL_FORMAT.
 */
export async function withHdf5<T>(bytes: Uint8Array, what: string, read: (file: H5File) => T): Promise<T> {
  if (!isHdf5(bytes)) {
    fail('MODEL_FORMAT', `${what} is not an HDF5 file (no HDF5 signature); give a Keras model file saved by model.save(...)`);
  }
  const { FS } = await h5();
  const path = `/cnnlens-h5-${++fileCounter}.h5`;
  try {
    FS.writeFile(path, bytes);
    let file: H5File | undefined;
    try {
      file = openFile(path, what);
      return readOrFail(file, read, what);
    } finally {
      try {
        file?.close();
      } finally {
        FS.unlink(path);
      }
    }
  } catch (e) {
    // a trap while closing or removing the file (the instance is broken) is a damaged file too
    if (e instanceof CnnlensError) throw e;
    fail('MODEL_FORMAT', `${what} cannot be read (${errorText(e)}); the file is truncated or damaged: copy or save it again`, e);
  }
}

function readOrFail<T>(file: H5File, read: (file: H5File) => T, what: string): T {
  try {
    return read(file);
  } catch (e) {
    if (e instanceof CnnlensError) throw e;
    fail('MODEL_FORMAT', `${what} cannot be read (${errorText(e)}); the file is truncated or damaged: copy or save it again`, e);
  }
}

function openFile(path: string, what: string): H5File {
  try {
    return new h5wasm.File(path, 'r');
  } catch (e) {
    fail('MODEL_FORMAT', `${what} cannot be opened as HDF5 (${errorText(e)}); the file is truncated or damaged: copy or save it again`, e);
  }
}

function isGroup(e: unknown): e is Group {
  return e instanceof h5wasm.Group;
}

function isDataset(e: unknown): e is Dataset {
  return e instanceof h5wasm.Dataset;
}

/** The group at `path`, or undefined. */
export function groupAt(parent: Group, path: string): Group | undefined {
  const e = parent.get(path);
  return isGroup(e) ? e : undefined;
}

/** A string (or string-list) attribute as a list; a chunked attribute (`name0`, `name1`, ...) is joined. */
export function stringListAttr(obj: Group, name: string): string[] | undefined {
  const attrs = obj.attrs;
  const asList = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.flat(Infinity).map((x) => String(x));
    return []; // h5py stores an empty list as an empty float array
  };
  if (name in attrs) return asList(attrs[name]!.value);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) out.push(...asList(attrs[`${name}${i}`]!.value));
  return out;
}

/** A scalar string attribute. */
export function stringAttr(obj: Group, name: string): string | undefined {
  if (!(name in obj.attrs)) return undefined;
  const v = obj.attrs[name]!.value;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}

/** Raw bytes of a dataset, for types h5wasm's `value` does not decode (float16). */
function rawBytes(ds: Dataset, nbytes: number): Uint8Array {
  const M = Module;
  const ptr = M._malloc(nbytes);
  if (ptr === 0) fail('MODEL_FORMAT', `out of memory reading ${ds.path}`);
  try {
    M.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(ptr));
    return M.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    M._free(ptr);
  }
}

/** A numeric dataset as float32, checked against its declared shape. `what` names the file part. */
export function readWeight(file: Group, path: string, what: string): WeightArray {
  const ds = file.get(path);
  if (!isDataset(ds)) {
    fail('MODEL_FORMAT', `${what}: weight '${path}' is listed but missing from the file; save the model again`);
  }
  const meta = ds.metadata;
  const shape = meta.shape ?? [];
  const count = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (meta.type === 1 && meta.size === 2) {
    const raw = rawBytes(ds, count * 2);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(i * 2, meta.littleEndian));
  } else if (meta.type === 0 || meta.type === 1) {
    const v = ds.value;
    if (v instanceof Float32Array) data = v;
    else if (v instanceof BigInt64Array || v instanceof BigUint64Array) data = Float32Array.from(v, (x) => Number(x));
    else if (ArrayBuffer.isView(v)) data = Float32Array.from(v as unknown as ArrayLike<number>);
    else fail('MODEL_FORMAT', `${what}: weight '${path}' has no readable values; save the model again`);
  } else {
    fail('MODEL_UNSUPPORTED', `${what}: weight '${path}' has HDF5 type ${String(ds.dtype)}, not a number type; convert the model's weights to float32 and save it again`);
  }
  if (data.length !== count) {
    fail('MODEL_FORMAT', `${what}: weight '${path}' holds ${data.length} values but its shape [${shape.join(', ')}] needs ${count}; the file is damaged: save the model again`);
  }
  return { shape, data };
}

interface NamedWeight {
  /** the weight's name split at '/', without the ':0' suffix: ['block', 'conv1', 'kernel'] */
  readonly parts: readonly string[];
  readonly array: WeightArray;
}

/** How many trailing layer names of `path` (inner to outer) the weight's scope names in order. */
function scopeScore(scope: readonly string[], path: readonly string[]): number {
  if (scope[scope.length - 1] !== path[path.length - 1]) return 0;
  let score = 0;
  let j = scope.length - 1;
  for (let i = path.length - 1; i >= 1 && j >= 0; i--) {
    while (j >= 0 && scope[j] !== path[i]) j--;
    if (j < 0) break;
    score++;
    j--;
  }
  return score;
}

/**
 * Weights of a nested layer inside the group of its outermost model: the outer layer's group lists all
 * inner weights (trainable first, then non-trainable, as Keras's `_legacy_weights`), named after the
 * inner layer (`Conv1/kernel:0`, or with the model's name in front). Keeping the file's order within
 * one layer gives `layer.weights` order.
 */
function nestedWeights(entries: readonly NamedWeight[], path: readonly string[]): WeightArray[] {
  const scored = entries.map((e) => ({ e, score: scopeScore(e.parts.slice(0, -1), path) }));
  const best = Math.max(0, ...scored.map((s) => s.score));
  if (best === 0) return [];
  return scored.filter((s) => s.score === best).map((s) => s.e.array);
}

/** What `readH5Model` takes out of a Keras 2 `.h5` file: plain data, so it can cross a worker boundary. */
export interface H5ModelData {
  /** the parsed `model_config` attribute (an object with `class_name`) */
  readonly modelConfig: unknown;
  readonly kerasVersion?: string;
  /** each layer of `model_weights`, in `layer_names` order, with its weights as `weight_names` lists them */
  readonly layers: readonly (readonly [string, readonly H5NamedWeight[]])[];
}

/** One weight of a `.h5` layer group: its name as written (`conv1/kernel:0`) and its values. */
export interface H5NamedWeight {
  readonly name: string;
  readonly array: WeightArray;
}

/** Reads the config and every layer's weights of an open Keras 2 full-model `.h5` file. */
export function readH5Model(file: H5File, what: string): H5ModelData {
  const configText = stringAttr(file, 'model_config');
  if (configText === undefined) {
    const weightsOnly =
      stringListAttr(file, 'layer_names') !== undefined || // Keras 2 model.save_weights('w.h5')
      groupAt(file, 'model_weights') !== undefined ||
      groupAt(file, 'layers') !== undefined || // Keras 3 model.save_weights('m.weights.h5')
      groupAt(file, '_layer_checkpoint_dependencies') !== undefined;
    if (weightsOnly) fail('MODEL_FORMAT', `${what}: ${WEIGHTS_ONLY}`);
    fail('MODEL_FORMAT', `${what} is an HDF5 file but not a Keras model (no 'model_config' attribute); save the model with model.save(...)`);
  }
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(configText);
  } catch (e) {
    fail('MODEL_FORMAT', `${what}: the 'model_config' attribute is not valid JSON (${(e as Error).message}); save the model again`, e);
  }
  if (typeof rawConfig !== 'object' || rawConfig === null || !('class_name' in rawConfig)) {
    fail('MODEL_FORMAT', `${what}: the 'model_config' attribute has no 'class_name'; save the model again with model.save(...)`);
  }
  const weightsGroup = groupAt(file, 'model_weights');
  if (weightsGroup === undefined) {
    fail('MODEL_FORMAT', `${what} holds a model config but no 'model_weights' group; save the model again with model.save(...)`);
  }
  const kerasVersion = stringAttr(file, 'keras_version') ?? stringAttr(weightsGroup, 'keras_version');

  const layers: [string, H5NamedWeight[]][] = [];
  const layerNames = stringListAttr(weightsGroup, 'layer_names') ?? weightsGroup.keys().filter((k) => isGroup(weightsGroup.get(k)));
  for (const layer of layerNames) {
    const g = groupAt(weightsGroup, layer);
    if (g === undefined) fail('MODEL_FORMAT', `${what}: layer '${layer}' is listed in model_weights but has no group; save the model again`);
    const names = stringListAttr(g, 'weight_names') ?? [];
    layers.push([layer, names.map((name) => ({ name, array: readWeight(weightsGroup, `${layer}/${name}`, what) }))]);
  }
  return { modelConfig: rawConfig, layers, ...(kerasVersion !== undefined ? { kerasVersion } : {}) };
}

/** The `KerasSource` of what `readH5Model` read. */
export function h5ModelSource(data: H5ModelData): KerasSource {
  const layers = new Map<string, NamedWeight[]>();
  for (const [layer, named] of data.layers) {
    layers.set(layer, named.map(({ name, array }) => ({ parts: name.replace(/:\d+$/, '').split('/'), array })));
  }
  const weights: WeightSource = {
    layerWeights(path) {
      const entries = path.length > 0 ? layers.get(path[0]!) : undefined;
      if (entries === undefined) return [];
      return path.length === 1 ? entries.map((e) => e.array) : nestedWeights(entries, path);
    },
  };
  return {
    modelConfig: keras3ToKeras2Config(data.modelConfig),
    weights,
    format: 'h5',
    ...(data.kerasVersion !== undefined ? { kerasVersion: data.kerasVersion } : {}),
  };
}

function numericFirst(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Infinity;
  const nb = /^\d+$/.test(b) ? Number(b) : Infinity;
  return na !== nb ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The variables of the given groups of an open `.keras` weights file (`model.weights.h5`): for each
 * group path (`layers/conv2d`) that has a `vars` group, its datasets `vars/0`, `vars/1`, ... in order.
 * tf.keras 2.13 wrote `_layer_checkpoint_dependencies` where Keras 3 writes `layers`.
 */
export function readKerasVars(file: H5File, groups: readonly string[], what: string): [string, WeightArray[]][] {
  const legacy = groupAt(file, 'layers') === undefined && groupAt(file, '_layer_checkpoint_dependencies') !== undefined;
  const out: [string, WeightArray[]][] = [];
  for (const groupPath of groups) {
    const path = legacy ? groupPath.replace(/(^|\/)layers\//g, '$1_layer_checkpoint_dependencies/') : groupPath;
    const vars = groupAt(file, `${path}/vars`);
    if (vars === undefined) continue;
    out.push([groupPath, vars.keys().sort(numericFirst).map((k) => readWeight(vars, k, `${what}, ${path}/vars`))]);
  }
  return out;
}

/**
 * Where the HDF5 reading runs. `what` names the file (or the part of a zip) in messages; errors are
 * CnnlensErrors (MODEL_FORMAT for damaged files).
 */
export interface Hdf5Reader {
  /** `readH5Model` on the bytes of a Keras 2 `.h5` file */
  readModel(bytes: Uint8Array, what: string): Promise<H5ModelData>;
  /** `readKerasVars` on the bytes of a `.keras` file's `model.weights.h5` */
  readVars(bytes: Uint8Array, what: string, groups: readonly string[]): Promise<[string, WeightArray[]][]>;
}

/**
 * Reads in this thread's h5wasm instance (the browser's reader). A damaged file can trap or hang
 * h5wasm here; Node code uses the worker reader of `h5-in-worker.ts` instead.
 */
export const inProcessHdf5: Hdf5Reader = {
  readModel: (bytes, what) => withHdf5(bytes, what, (file) => readH5Model(file, what)),
  readVars: (bytes, what, groups) => withHdf5(bytes, what, (file) => readKerasVars(file, groups, what)),
};

/** Options of `h5Source` and `kerasFileSource`. */
export interface Hdf5ReadOptions {
  /** where the HDF5 reading runs; default `inProcessHdf5` */
  readonly reader?: Hdf5Reader;
  /** the file's name, for messages */
  readonly name?: string;
}

/** Reads a Keras full-model `.h5` file. */
export async function h5Source(bytes: Uint8Array, options: Hdf5ReadOptions = {}): Promise<KerasSource> {
  const what = options.name !== undefined ? `'${options.name}'` : 'the .h5 file';
  return h5ModelSource(await (options.reader ?? inProcessHdf5).readModel(bytes, what));
}
