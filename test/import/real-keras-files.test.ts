/**
 * The Keras importers on model files written by Keras itself (not by this project's fixture writers);
 * where each file comes from is in test/fixtures/keras-real/SOURCES.md.
 *
 * - freesas-Rg+Dmax.keras (Keras 3.2.1 `model.save`, kept in the repository): imported with
 *   `kerasFileSource` + `convertKeras`, run on onnxruntime-node and compared with TF.js (CPU backend)
 *   running the same Dense stack, built from the file's config.json with the weights read straight
 *   from its model.weights.h5 by h5wasm. Tolerance: max abs error / max abs of the TF.js output < 1e-4.
 * - invesalius-brain_mri_t1.h5 (standalone Keras 2.2.4 `model.save`, a 3-D U-Net; extracted from the
 *   Debian package by scripts/fetch-keras-fixtures.sh, skipped when absent): `h5Source` reads every
 *   layer's weights exactly as h5wasm reads them, and `convertKeras` refuses the model with
 *   MODEL_UNSUPPORTED naming its first Conv3D layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm';
import type { Dataset, File as H5File, Group } from 'h5wasm';
import { unzipSync } from 'fflate';
import { CnnlensError } from '../../src/errors.js';
import { convertKeras } from '../../src/import/convert.js';
import { h5Source } from '../../src/import/h5.js';
import { kerasFileSource } from '../../src/import/keras-file.js';
import { Random } from '../../src/util/random.js';
import { relErr, run, session } from '../util/ort.js';
import { tfjsCpu } from '../util/keras-fixtures.js';

await tfjsCpu();

const dir = fileURLToPath(new URL('../fixtures/keras-real/', import.meta.url));
const FREESAS = `${dir}freesas-Rg+Dmax.keras`;
const INVESALIUS = `${dir}fetched/invesalius-brain_mri_t1.h5`;

type Obj = Record<string, any>;

let fileCounter = 0;

/** Opens HDF5 bytes with h5wasm, runs `read`, and closes and removes the file again. */
async function withH5<T>(bytes: Uint8Array, read: (f: H5File) => T): Promise<T> {
  const { FS } = await h5wasm.ready;
  const path = `/real-keras-${process.pid}-${fileCounter++}.h5`;
  FS.writeFile(path, bytes);
  const f = new h5wasm.File(path, 'r');
  try {
    return read(f);
  } finally {
    f.close();
    FS.unlink(path);
  }
}

function dataset(parent: Group, path: string): { shape: number[]; data: Float32Array } {
  const ds = parent.get(path) as Dataset | null;
  assert.ok(ds !== null && 'shape' in ds, `dataset ${path} in the file`);
  const shape = (ds.shape ?? []).map(Number);
  return { shape, data: Float32Array.from(ds.value as ArrayLike<number>) };
}

function attrText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1) return attrText(v[0]);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw new Error(`not a string attribute: ${String(v)}`);
}

function attrList(v: unknown): string[] {
  return Array.isArray(v) ? v.flat(Infinity).map((x) => String(x)) : typeof v === 'string' ? [v] : [];
}

test('real Keras 3 .keras (FreeSAS Rg+Dmax, Keras 3.2.1): ONNX on onnxruntime matches TF.js with the file’s weights', async () => {
  const bytes = new Uint8Array(readFileSync(FREESAS));

  // The oracle: the Dense stack of config.json in TF.js, weights read by h5wasm. saving_lib.py keys a
  // Sequential's layers by class: layers/dense, layers/dense_1, ... in model.layers order.
  const files = unzipSync(bytes);
  const config = JSON.parse(new TextDecoder().decode(files['config.json']!)) as Obj;
  const metadata = JSON.parse(new TextDecoder().decode(files['metadata.json']!)) as Obj;
  assert.equal(metadata['keras_version'], '3.2.1');
  assert.equal(config['class_name'], 'Sequential');
  const layers = (config['config']['layers'] as Obj[]).filter((l) => l['class_name'] !== 'InputLayer');
  assert.ok(layers.every((l) => l['class_name'] === 'Dense'), 'a stack of Dense layers');
  const inputLayer = (config['config']['layers'] as Obj[]).find((l) => l['class_name'] === 'InputLayer')!;
  const features = inputLayer['config']['batch_shape'][1] as number;
  assert.equal(features, 1024);

  const weights = await withH5(files['model.weights.h5']!, (f) =>
    layers.map((_, i) => {
      const group = `layers/dense${i === 0 ? '' : `_${i}`}/vars`;
      return [dataset(f, `${group}/0`), dataset(f, `${group}/1`)];
    }),
  );
  const oracle = tf.sequential();
  layers.forEach((l, i) => {
    const c = l['config'] as Obj;
    oracle.add(
      tf.layers.dense({
        units: c['units'],
        activation: c['activation'],
        useBias: c['use_bias'],
        name: c['name'],
        ...(i === 0 ? { inputShape: [features] } : {}),
      }),
    );
  });
  oracle.setWeights(weights.flat().map((w) => tf.tensor(w.data, w.shape, 'float32')));

  // cnnlens
  const source = await kerasFileSource(bytes);
  assert.equal(source.format, 'keras');
  assert.equal(source.kerasVersion, '3.2.1');
  const imported = convertKeras(source);
  assert.deepEqual(
    [...imported.layers.keys()],
    ['InputLayer', 'Dense_n0', 'Dense_n1', 'Dense_n2', 'Dense_n3', 'Output'],
  );
  const s = await session(imported.model);
  const input = imported.model.graph.inputs[0]!.name;
  const output = imported.model.graph.outputs[0]!.name;
  assert.equal(output, 'Output');

  // FreeSAS feeds a SAXS curve resampled to 1024 points and scaled into [0, 1]
  const shape = [4, features];
  const x = Float32Array.from(new Random(11).uniforms(shape[0]! * shape[1]!, 0, 1));
  const expected = (oracle.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync();
  const got = (await run(s, { [input]: { dims: shape, data: x } }, 'float32'))[output]!;
  assert.deepEqual([...got.dims], [4, 2]);
  const err = relErr(got.data, expected);
  assert.ok(err < 1e-4, `relative error ${err}`);
});

test(
  'real Keras 2 .h5 (InVesalius brain_mri_t1, Keras 2.2.4): weights read as h5wasm reads them; Conv3D is MODEL_UNSUPPORTED',
  { skip: existsSync(INVESALIUS) ? false : `${INVESALIUS} is absent; run bash scripts/fetch-keras-fixtures.sh to extract it from Debian's invesalius package` },
  async () => {
    const bytes = new Uint8Array(readFileSync(INVESALIUS));

    // The oracle: the layout as Keras 2's save_weights_to_hdf5_group wrote it, read by h5wasm.
    const expected = await withH5(bytes, (f) => {
      assert.equal(attrText(f.attrs['keras_version']!.value), '2.2.4');
      const modelWeights = f.get('model_weights') as Group;
      const out = new Map<string, { shape: number[]; data: Float32Array }[]>();
      for (const layer of attrList(modelWeights.attrs['layer_names']!.value)) {
        const g = modelWeights.get(layer) as Group;
        out.set(layer, attrList(g.attrs['weight_names']!.value).map((w) => dataset(g, w)));
      }
      return out;
    });
    assert.equal(expected.size, 27);

    const source = await h5Source(bytes);
    assert.equal(source.format, 'h5');
    assert.equal(source.kerasVersion, '2.2.4');
    let arrays = 0;
    for (const [layer, want] of expected) {
      const got = source.weights.layerWeights([layer]);
      assert.equal(got.length, want.length, `${layer}: number of weights`);
      got.forEach((g, i) => {
        assert.deepEqual([...g.shape], want[i]!.shape, `${layer} weight ${i}: shape`);
        assert.deepEqual(g.data, want[i]!.data, `${layer} weight ${i}: values`);
        arrays++;
      });
    }
    assert.equal(arrays, 25); // 10 Conv3D kernels + biases, 3 bias-free Conv3DTranspose kernels, Dense kernel + bias

    assert.throws(
      () => convertKeras(source),
      (e: unknown) => {
        assert.ok(e instanceof CnnlensError, `a CnnlensError, got ${String(e)}`);
        assert.equal(e.code, 'MODEL_UNSUPPORTED');
        assert.match(e.message, /layer 'conv3d_1' is a Conv3D/);
        return true;
      },
    );
  },
);
