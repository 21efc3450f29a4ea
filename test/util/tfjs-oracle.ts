/**
 * Test oracle for the Keras importers: TensorFlow.js (CPU backend) runs the same layers model that
 * cnnlens converts to ONNX; helpers save a tfjs model to model.json + weight bytes, quantize its
 * weights the way tensorflowjs_converter does, and compare the ONNX model's output with tfjs's.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { differentiate } from '../../src/autodiff/differentiate.js';
import { convertKeras } from '../../src/import/convert.js';
import { tfjsSource } from '../../src/import/tfjs.js';
import type { ImportedModel } from '../../src/import/types.js';
import { Random } from '../../src/util/random.js';
import { maxAbs, run, session } from './ort.js';

export { tf };

let ready: Promise<void> | undefined;

/** The CPU backend, without tfjs's "install tfjs-node" hint (PROD also skips its debug checks). */
export function tfReady(): Promise<void> {
  ready ??= (async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
  })();
  return ready;
}

export interface TfjsFiles {
  /** the model.json object */
  readonly modelJson: Record<string, unknown>;
  /** all weight bytes, in manifest order */
  readonly weightData: Uint8Array;
}

/** Saves a tfjs model as model.json + weight bytes (what tfjs's own save writes). */
export async function saveTfjs(model: tf.LayersModel): Promise<TfjsFiles> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = saved!;
  const data = a.weightData;
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(0);
  return {
    modelJson: { format: 'layers-model', generatedBy: 'test', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] },
    weightData: bytes,
  };
}

/** Loads model.json + weights into tfjs (tfjs dequantizes quantized weights itself). */
export async function loadTfjs(files: TfjsFiles): Promise<tf.LayersModel> {
  const manifest = files.modelJson['weightsManifest'] as { weights: tf.io.WeightsManifestEntry[] }[];
  const weightData = files.weightData.buffer.slice(files.weightData.byteOffset, files.weightData.byteOffset + files.weightData.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: files.modelJson['modelTopology'] as object, weightSpecs: manifest.flatMap((g) => g.weights), weightData }),
  );
}

/**
 * Quantizes every float32 weight as tensorflowjs_converter does (quantization.py): affine
 * min/scale over the array's range (nudged so 0 is exact when the range spans it), q = round((v - min) / scale).
 */
export async function quantize(files: TfjsFiles, dtype: 'uint8' | 'uint16' | 'float16'): Promise<TfjsFiles> {
  const specs = (files.modelJson['weightsManifest'] as { weights: tf.io.WeightsManifestEntry[] }[]).flatMap((g) => g.weights);
  const buffer = files.weightData.buffer.slice(files.weightData.byteOffset, files.weightData.byteOffset + files.weightData.byteLength) as ArrayBuffer;
  const decoded = tf.io.decodeWeights(buffer, specs);
  const parts: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const s of specs) {
    const v = decoded[s.name]!.dataSync() as Float32Array;
    if (dtype === 'float16') {
      const h = new Uint16Array(v.length);
      for (let i = 0; i < v.length; i++) h[i] = toHalf(v[i]!);
      parts.push(new Uint8Array(h.buffer));
      outSpecs.push({ ...s, quantization: { dtype: 'float16' } });
      continue;
    }
    const qmax = dtype === 'uint8' ? 255 : 65535;
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    let scale: number;
    if (lo === hi) {
      scale = 1;
    } else {
      if (lo <= 0 && hi >= 0) {
        // the converter's nudge: 0 falls exactly on a quantization level
        scale = (hi - lo) / qmax;
        const zero = Math.round(-lo / scale);
        lo = -zero * scale;
        hi = (qmax - zero) * scale;
      }
      scale = (hi - lo) / qmax;
    }
    const q = dtype === 'uint8' ? new Uint8Array(v.length) : new Uint16Array(v.length);
    for (let i = 0; i < v.length; i++) q[i] = Math.min(qmax, Math.max(0, Math.round((v[i]! - lo) / scale)));
    parts.push(new Uint8Array(q.buffer));
    outSpecs.push({ ...s, quantization: { dtype, min: lo, scale } });
  }
  for (const t of Object.values(decoded)) t.dispose();
  const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { modelJson: { ...files.modelJson, weightsManifest: [{ paths: ['weights.bin'], weights: outSpecs }] }, weightData: data };
}

function toHalf(f: number): number {
  const f32 = new Float32Array([f]);
  const u = new Uint32Array(f32.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign | Math.round((mant | 0x800000) / 2 ** (14 - exp));
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >> 13);
  if ((mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) === 0x1000 && h & 1)) h++;
  return h;
}

/** Seeded weights for every variable; BatchNormalization variances are kept positive. */
export function setRandomWeights(model: tf.LayersModel, seed: number, scale = 0.5): void {
  const rnd = new Random(seed);
  for (const layer of allLayers(model)) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const names = layer.weights.map((w) => w.name);
    layer.setWeights(
      ws.map((w, i) => {
        const n = w.size;
        const isVariance = /variance$/.test(names[i]!);
        const isGamma = /gamma$/.test(names[i]!);
        const vals = isVariance ? rnd.uniforms(n, 0.5, 2) : isGamma ? rnd.uniforms(n, 0.5, 1.5) : rnd.normals(n, scale);
        return tf.tensor(vals, w.shape, 'float32');
      }),
    );
  }
}

function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const l of model.layers) {
    if (l instanceof tf.LayersModel) out.push(...allLayers(l));
    else out.push(l);
  }
  return out;
}

export interface Comparison {
  readonly imported: ImportedModel;
  /** max |onnx - tfjs| / max(1, max |tfjs|) over all outputs */
  readonly error: number;
}

/** NHWC float32 input of the given shape (batch first), seeded. */
export function randomInput(dims: readonly number[], seed: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from(new Random(seed).uniforms(dims.reduce((a, d) => a * d, 1), lo, hi));
}

/** NCHW → NHWC for comparing 4-D outputs with tfjs. */
export function toNhwc(data: ArrayLike<number>, dims: readonly number[]): Float64Array {
  const [n, c, h, w] = dims as [number, number, number, number];
  const out = new Float64Array(data.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + k] = data[((b * c + k) * h + y) * w + x]!;
  return out;
}

/** Runs the imported ONNX model on `x` (NHWC) and returns its outputs in Keras layout. */
export async function runImported(imported: ImportedModel, x: Float32Array, dims: readonly number[]): Promise<{ dims: number[]; data: Float64Array }[]> {
  const s = await session(imported.model);
  try {
    const input = imported.model.graph.inputs[0]!.name;
    const out = await run(s, { [input]: { dims, data: x } }, 'float32');
    return imported.model.graph.outputs.map((o) => {
      const r = out[o.name]!;
      return r.dims.length === 4 ? { dims: [r.dims[0]!, r.dims[2]!, r.dims[3]!, r.dims[1]!], data: toNhwc(r.data, r.dims) } : { dims: [...r.dims], data: r.data };
    });
  } finally {
    await s.release();
  }
}

/** Converts the tfjs model through model.json, runs both, returns the relative error (see Comparison). */
export async function compareWithTfjs(model: tf.LayersModel, files: TfjsFiles, dims: readonly number[], seed = 1): Promise<Comparison> {
  const imported = convertKeras(tfjsSource(files.modelJson, files.weightData));
  const x = randomInput(dims, seed);
  const ref = tf.tidy(() => {
    const y = model.predict(tf.tensor(x, [...dims]));
    return (Array.isArray(y) ? y : [y]).map((t) => ({ dims: t.shape as number[], data: t.dataSync() as Float32Array }));
  });
  const got = await runImported(imported, x, dims);
  assert.equal(got.length, ref.length, 'number of outputs');
  let error = 0;
  for (let i = 0; i < ref.length; i++) {
    assert.deepEqual(got[i]!.dims, ref[i]!.dims, `shape of output ${i}`);
    const scale = Math.max(1, maxAbs(ref[i]!.data));
    let m = 0;
    for (let k = 0; k < ref[i]!.data.length; k++) m = Math.max(m, Math.abs(got[i]!.data[k]! - ref[i]!.data[k]!));
    error = Math.max(error, m / scale);
  }
  return { imported, error };
}

/** The engine must accept the converted graph: d(first output)/d(input), at the given input size if it is symbolic. */
export function assertDifferentiable(imported: ImportedModel, dims?: readonly number[]): void {
  const model = imported.model;
  const input = model.graph.inputs[0]!.name;
  const inputShapes = dims ? { [input]: ['N', ...dims.slice(1)] } : undefined;
  const d = differentiate(model, { wrt: [input], seeds: [model.graph.outputs[0]!.name], ...(inputShapes ? { inputShapes } : {}) });
  assert.equal(d.grads.length, 1);
}
