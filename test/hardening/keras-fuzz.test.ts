/**
 * Fuzzing the Keras and TF.js importers, from file bytes to an ONNX model: TF.js layers models (model.json
 * and weight shards on disk, byte-mutated; model.json mutated as a JSON tree), Keras 3 `.keras` zips (the
 * zip's bytes, its config.json as a JSON tree, its weights file's bytes) and Keras 2 `.h5` files. The
 * fixtures are small fine-tuning-shaped models with seeded weights (a functional backbone nested in a
 * Sequential; a functional model with a nested Sequential head). Every input must end in a typed error
 * or an ONNX model that can be written out.
 *
 * HDF5 bytes go through the Node reader (`WorkerHdf5Reader`): h5wasm runs HDF5's C code in a worker
 * thread, which a trap or a hang ends (with a typed error) and replaces, as `loadImageModel` reads them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { convertKeras } from '../../src/import/convert.js';
import { h5Source } from '../../src/import/h5.js';
import { WorkerHdf5Reader } from '../../src/import/h5-in-worker.js';
import { kerasFileSource } from '../../src/import/keras-file.js';
import { readTfjsFiles } from '../../src/import/tfjs-file.js';
import { tfjsSource } from '../../src/import/tfjs.js';
import type { KerasSource } from '../../src/import/types.js';
import { saveModel } from '../../src/onnx/load.js';
import { describe, fuzz, mutateBytes, mutateJson, scaled } from '../util/fuzz.js';
import { functionalWithSequentialHead, kerasH5Bytes, kerasZipBytes, sequentialAroundBase, tfjsCpu } from '../util/keras-fixtures.js';
import { saveTfjs } from '../util/tfjs-oracle.js';

await tfjsCpu();
const models = [sequentialAroundBase(3), functionalWithSequentialHead(4)];
const tfjs = await Promise.all(models.map(saveTfjs));
const zips = await Promise.all(models.map((m) => kerasZipBytes(m)));
const h5s = await Promise.all(models.map((m) => kerasH5Bytes(m)));
const te = new TextEncoder();
const td = new TextDecoder();
const JSON_DICTIONARY = ['"class_name"', '"config"', '"batch_input_shape"', '"filters"', '"kernel_size"', '"inbound_nodes"', '"layers"', 'null', '-1', '1e308', '[', ']', '{', '}', '"float16"', '"uint8"', '"shape"', '"dtype"'].map((s) => te.encode(s));

/** The importer's whole path: source -> ONNX graph -> protobuf bytes. */
async function importAndSave(source: Promise<KerasSource> | KerasSource): Promise<void> {
  saveModel(convertKeras(await source).model);
}

test('TF.js importer: mutated model.json and weight shards on disk end in a typed error or a model', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-tfjs-fuzz-'));
  const jsonPath = join(dir, 'model.json');
  const jsons = tfjs.map((f) => te.encode(JSON.stringify(f.modelJson)));
  try {
    const r = await fuzz('tfjs-files', (i, rnd) => {
      const k = i % 2;
      const json = (i >> 1) % 2 === 0 ? mutateBytes(jsons[k]!, rnd, JSON_DICTIONARY) : jsons[k]!;
      const shard = json === jsons[k] ? mutateBytes(tfjs[k]!.weightData, rnd) : tfjs[k]!.weightData;
      writeFileSync(join(dir, 'weights.bin'), shard);
      return json;
    }, async (json) => {
      writeFileSync(jsonPath, json);
      await importAndSave(readTfjsFiles(jsonPath));
    }, { seed: 41, count: scaled(2_000), codes: ['MODEL_FORMAT', 'MODEL_UNSUPPORTED', 'IO'] });
    console.log(describe('tfjs files', r));
    assert.ok(r.accepted > 0 && r.typedErrors > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TF.js importer: byte mutations of model.json text and weight bytes in memory end in a typed error or a model', { timeout: 120_000 }, async () => {
  const jsons = tfjs.map((f) => te.encode(JSON.stringify(f.modelJson)));
  let weights = tfjs[0]!.weightData;
  let notJson = 0;
  const r = await fuzz('tfjs-bytes', (i, rnd) => {
    const k = i % 2;
    const mutateJsonText = (i >> 1) % 2 === 0;
    weights = mutateJsonText ? tfjs[k]!.weightData : mutateBytes(tfjs[k]!.weightData, rnd);
    return mutateJsonText ? mutateBytes(jsons[k]!, rnd, JSON_DICTIONARY) : jsons[k]!;
  }, async (json) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(td.decode(json));
    } catch {
      notJson++; // readTfjsFiles refuses these with MODEL_FORMAT (the on-disk test covers it)
      return;
    }
    await importAndSave(tfjsSource(parsed, weights));
  }, { seed: 45, count: scaled(10_000), codes: ['MODEL_FORMAT', 'MODEL_UNSUPPORTED'] });
  console.log(`${describe('tfjs bytes', r)}; ${notJson} of the accepted were not JSON`);
  assert.ok(r.accepted - notJson > 0 && r.typedErrors > 0);
});

test('TF.js importer: structure-aware mutations of model.json (subtrees replaced, deleted, duplicated)', { timeout: 120_000 }, async () => {
  let k = 0; // which fixture the current input came from
  const r = await fuzz('tfjs-json-tree', (i, rnd) => te.encode(JSON.stringify(mutateJson(tfjs[(k = i % 2)]!.modelJson, rnd))), (b) => importAndSave(tfjsSource(JSON.parse(td.decode(b)), tfjs[k]!.weightData)), { seed: 42, count: scaled(5_000), codes: ['MODEL_FORMAT', 'MODEL_UNSUPPORTED'] });
  console.log(describe('tfjs json tree', r));
  assert.ok(r.accepted > 0 && r.typedErrors > 0);
});

function rezip(zip: Uint8Array, name: string, content: Uint8Array): Uint8Array {
  const files = unzipSync(zip);
  files[name] = content as Uint8Array<ArrayBuffer>;
  return zipSync(files);
}

/**
 * Byte mutations that reach the HDF5 reader run in the worker reader with a short time limit: an input
 * that hangs h5wasm ends in a typed error after HDF5_TIMEOUT_MS. An input may take that long plus a
 * fresh worker's start, hence the fuzz's per-input limit.
 */
const HDF5_TIMEOUT_MS = 5_000;
const hdf5 = new WorkerHdf5Reader({ timeoutMs: HDF5_TIMEOUT_MS });
const HDF5_MAX_MS_PER_INPUT = HDF5_TIMEOUT_MS + 15_000;
after(() => hdf5.close());

// 2,000 (about 22 s: each input is re-zipped and its weights opened by h5wasm)
test('.keras importer: config.json trees mutated beside intact weights end in a typed error or a model', { timeout: 120_000 }, async () => {
  const configs = zips.map((z) => JSON.parse(td.decode(unzipSync(z)['config.json']!)) as unknown);
  const r = await fuzz('keras-config', (i, rnd) => rezip(zips[i % 2]!, 'config.json', te.encode(JSON.stringify(mutateJson(configs[i % 2], rnd)))),
    (b) => importAndSave(kerasFileSource(b)), { seed: 43, count: scaled(2_000), codes: ['MODEL_FORMAT', 'MODEL_UNSUPPORTED'] });
  console.log(describe('.keras config trees', r));
  assert.ok(r.accepted > 0 && r.typedErrors > 0);
  await importAndSave(kerasFileSource(zips[0]!)); // the reader still reads a good file afterwards
});

// 10,000 each: about 40 s for .keras, 60 s for .h5 here (CNNLENS_FUZZ_SCALE multiplies)
test('.keras importer: byte mutations of the zip and of its weights file', { timeout: 900_000 }, async () => {
  const weights = zips.map((z) => unzipSync(z)['model.weights.h5']!);
  const started = hdf5.started;
  const r = await fuzz('keras-zip', (i, rnd) => (i >> 1) % 2 === 0 ? mutateBytes(zips[i % 2]!, rnd, JSON_DICTIONARY) : rezip(zips[i % 2]!, 'model.weights.h5', mutateBytes(weights[i % 2]!, rnd, [], 2)),
    (b) => importAndSave(kerasFileSource(b, { reader: hdf5 })), { seed: 46, count: scaled(10_000), codes: ['MODEL_FORMAT', 'MODEL_UNSUPPORTED'], maxMsPerInput: HDF5_MAX_MS_PER_INPUT });
  console.log(`${describe('.keras bytes', r)}; ${hdf5.started - started} HDF5 workers started`);
  assert.ok(r.accepted > 0 && r.typedErrors > 0);
  await importAndSave(kerasFileSource(zips[0]!, { reader: hdf5 })); // the reader still reads a good file afterwards
});

test('.h5 importer: byte mutations of Keras 2 full-model files', { timeout: 900_000 }, async () => {
  const started = hdf5.started;
  const r = await fuzz('keras-h5', (i, rnd) => mutateBytes(h5s[i % 2]!, rnd, JSON_DICTIONARY, 2), (b) => importAndSave(h5Source(b, { reader: hdf5 })),
    { seed: 44, count: scaled(10_000), codes: ['MODEL_FORMAT', 'MODEL_UNSUPPORTED'], maxMsPerInput: HDF5_MAX_MS_PER_INPUT });
  console.log(`${describe('.h5', r)}; ${hdf5.started - started} HDF5 workers started`);
  assert.ok(r.accepted > 0 && r.typedErrors > 0);
  await importAndSave(h5Source(h5s[0]!, { reader: hdf5 }));
});
