/**
 * Keras layers (TF.js layers format) → ONNX, checked against TensorFlow.js running the same model.json:
 * every output within 1e-4 × max(1, max |tfjs|). Models are built in tfjs with seeded random weights
 * (BatchNormalization statistics non-trivial), saved with tfjs's own serializer, converted by cnnlens
 * and run on ONNX Runtime. Layers and options tfjs lacks (Subtract, Normalization, ReLU threshold and
 * negative_slope, Keras 3 hard_sigmoid, approximate gelu, global pooling keepdims, grouped Conv2D)
 * are checked against closed forms written here. Every converted graph must be differentiable by
 * the engine (d output / d input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnlensError } from '../../src/errors.js';
import { convertKeras } from '../../src/import/convert.js';
import { tfjsSource } from '../../src/import/tfjs.js';
import { readTfjsFiles } from '../../src/import/tfjs-file.js';
import type { KerasSource, WeightArray } from '../../src/import/types.js';
import { Random } from '../../src/util/random.js';
import { assertDifferentiable, compareWithTfjs, loadTfjs, quantize, randomInput, runImported, saveTfjs, setRandomWeights, tf, tfReady, type TfjsFiles } from '../util/tfjs-oracle.js';

const TOL = 1e-4;

await tfReady();

/** Layer configs as tfjs writes them, for patching what tfjs's serializer drops. */
type TopologyLayers = { config: { layers: { config: Record<string, unknown> }[] } };

async function checkModel(model: tf.LayersModel, dims: number[], seed = 1, patch?: (t: TopologyLayers) => void): Promise<ReturnType<typeof convertKeras>> {
  setRandomWeights(model, seed);
  const files = await saveTfjs(model);
  patch?.(files.modelJson['modelTopology'] as TopologyLayers);
  const { imported, error } = await compareWithTfjs(model, files, dims, seed);
  assert.ok(error <= TOL, `relative error ${error}`);
  assertDifferentiable(imported, dims);
  return imported;
}

const L = () => tf.layers;

test('Sequential: convolutions (strides, dilation, same/valid, no bias, fused activations), batch norm, padding, pooling, dropout, dense', async () => {
  const l = L();
  const m = tf.sequential({
    layers: [
      l.conv2d({ inputShape: [17, 15, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }),
      l.batchNormalization({ epsilon: 0.01, name: 'bn1' }),
      l.conv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, padding: 'same', useBias: false, activation: 'swish', name: 'c2' }),
      l.batchNormalization({ center: false, name: 'bn2' }),
      l.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6', name: 'dw' }),
      l.batchNormalization({ scale: false, name: 'bn3' }),
      l.separableConv2d({ filters: 7, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'elu', name: 'sep' }),
      l.zeroPadding2d({ padding: [[1, 2], [0, 1]], name: 'pad' }),
      l.reLU({ maxValue: 4, name: 'relu4' }),
      l.cropping2D({ cropping: [[1, 0], [0, 2]], name: 'crop' }),
      l.leakyReLU({ alpha: 0.2, name: 'leaky' }),
      l.conv2d({ filters: 4, kernelSize: 2, padding: 'valid', name: 'c3' }),
      l.elu({ name: 'elu' }),
      l.maxPooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'mp' }),
      l.dropout({ rate: 0.3, name: 'drop' }),
      l.flatten({ name: 'flat' }),
      l.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  });
  // tfjs 4.22's SeparableConv2D.getConfig leaves out depth_multiplier; Keras writes it
  const imported = await checkModel(m, [2, 17, 15, 3], 1, (t) => {
    t.config.layers.find((e) => e.config['name'] === 'sep')!.config['depth_multiplier'] = 2;
  });
  assert.equal(imported.layers.get('c1'), 'c1');
  assert.equal(imported.layers.get('out'), 'out');
  assert.deepEqual(imported.inputHints, { height: 17, width: 15, channels: 3, hasPreprocessing: false });
  const softmax = imported.model.graph.nodes.find((n) => n.outputs[0] === 'out')!;
  assert.equal(softmax.opType, 'Softmax');
  assert.deepEqual(softmax.inputs, ['out/logits']);
  const meta = Object.fromEntries(imported.model.metadata.map((e) => [e.key, e.value]));
  assert.equal(meta['cnnlens.source_format'], 'tfjs');
  assert.equal(meta['cnnlens.keras_version'], 'tfjs-layers 4.22.0');
});

test('pooling with TF same padding on odd sizes (average excludes the padding), global pools, dense on 4-D and 3-D inputs, reshape, permute', async () => {
  const l = L();
  const m = tf.sequential({
    layers: [
      l.conv2d({ inputShape: [9, 11, 2], filters: 4, kernelSize: 1, name: 'c' }),
      l.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'ap' }),
      l.maxPooling2d({ poolSize: [2, 3], strides: [2, 2], padding: 'same', name: 'mp' }),
      l.dense({ units: 5, activation: 'tanh', name: 'dense4d' }),
      l.permute({ dims: [2, 1, 3], name: 'perm' }),
      l.reshape({ targetShape: [-1, 5], name: 'tokens' }),
      l.dense({ units: 6, name: 'dense3d' }),
      l.reshape({ targetShape: [3, 3, 6], name: 'grid' }),
      l.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'ap2' }),
      l.globalMaxPooling2d({ name: 'gmp' }),
      l.dense({ units: 2, activation: 'sigmoid', name: 'out' }),
    ],
  });
  const imported = await checkModel(m, [3, 9, 11, 2]);
  assert.deepEqual(imported.model.graph.nodes.find((n) => n.outputs[0] === 'out')?.inputs, ['out/logits']);
});

test('functional: Add, Multiply, Average, Concatenate (channel and spatial axes), GlobalAveragePooling2D, two outputs (one 4-D)', async () => {
  const l = L();
  const x = tf.input({ shape: [8, 8, 3], name: 'image' });
  const a = l.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }).apply(x) as tf.SymbolicTensor;
  const b = l.conv2d({ filters: 4, kernelSize: 1, name: 'b' }).apply(x) as tf.SymbolicTensor;
  const c = l.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'c' }).apply(a) as tf.SymbolicTensor;
  const sum = l.add({ name: 'sum' }).apply([a, b, c]) as tf.SymbolicTensor;
  const prod = l.multiply({ name: 'prod' }).apply([a, b]) as tf.SymbolicTensor;
  const avg = l.average({ name: 'avg' }).apply([sum, prod]) as tf.SymbolicTensor;
  const cat = l.concatenate({ name: 'cat' }).apply([avg, b, c]) as tf.SymbolicTensor;
  const catH = l.concatenate({ axis: 1, name: 'cat_h' }).apply([cat, cat]) as tf.SymbolicTensor;
  const relu = l.activation({ activation: 'relu', name: 'act' }).apply(catH) as tf.SymbolicTensor;
  const gap = l.globalAveragePooling2d({ name: 'gap' }).apply(relu) as tf.SymbolicTensor;
  const out = l.dense({ units: 4, activation: 'softmax', name: 'probs' }).apply(gap) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: [out, cat] });
  const imported = await checkModel(m, [2, 8, 8, 3]);
  assert.equal(imported.model.graph.inputs[0]!.name, 'image');
  assert.deepEqual(imported.model.graph.inputs[0]!.type?.shape, ['N', 8, 8, 3]);
  assert.deepEqual(imported.model.graph.outputs.map((o) => o.name), ['probs', 'cat']);
  assert.deepEqual(imported.model.graph.outputs[1]!.type?.shape, ['N', 12, 8, 8]);
});

test('activations, fused and as Activation layers, each compared with tfjs', async () => {
  const l = L();
  const acts = ['relu', 'relu6', 'sigmoid', 'softmax', 'swish', 'tanh', 'hardSigmoid', 'elu', 'selu', 'gelu', 'gelu_new', 'linear', 'softplus', 'softsign', 'mish', 'logSoftmax'];
  const x = tf.input({ shape: [5, 4, 3], name: 'x' });
  const conv = l.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'conv' }).apply(x) as tf.SymbolicTensor;
  const flat = l.flatten({ name: 'flat' }).apply(conv) as tf.SymbolicTensor;
  const outs: tf.SymbolicTensor[] = [];
  for (const a of acts) {
    outs.push(l.activation({ activation: a as never, name: `act_${a}` }).apply(conv) as tf.SymbolicTensor);
    outs.push(l.dense({ units: 4, activation: a as never, name: `dense_${a}` }).apply(flat) as tf.SymbolicTensor);
  }
  outs.push(l.conv2d({ filters: 3, kernelSize: 1, activation: 'softmax', name: 'conv_softmax' }).apply(conv) as tf.SymbolicTensor);
  outs.push(l.softmax({ name: 'softmax_layer' }).apply(flat) as tf.SymbolicTensor);
  const m = tf.model({ inputs: x, outputs: outs });
  const imported = await checkModel(m, [2, 5, 4, 3], 3);
  for (const name of ['act_softmax', 'dense_sigmoid', 'conv_softmax', 'softmax_layer', 'dense_logSoftmax']) {
    assert.ok(imported.model.graph.nodes.some((n) => n.inputs[0] === `${name}/logits` && n.outputs[0] === name), `${name} reads ${name}/logits`);
  }
});

test('a nested functional base inside a Sequential (the transfer-learning shape) is inlined; Rescaling first sets hasPreprocessing', async () => {
  const l = L();
  const inp = tf.input({ shape: [12, 12, 3], name: 'base_input' });
  let h = l.rescaling({ scale: 1 / 127.5, offset: -1, name: 'rescale' }).apply(inp) as tf.SymbolicTensor;
  h = l.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }).apply(h) as tf.SymbolicTensor;
  h = l.batchNormalization({ name: 'bn_Conv1' }).apply(h) as tf.SymbolicTensor;
  h = l.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(h) as tf.SymbolicTensor;
  const skip = l.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(h) as tf.SymbolicTensor;
  h = l.add({ name: 'block_add' }).apply([h, skip]) as tf.SymbolicTensor;
  const base = tf.model({ inputs: inp, outputs: h, name: 'mobilenet_like' });
  const m = tf.sequential({ layers: [base, l.globalAveragePooling2d({ name: 'pool' }), l.dropout({ rate: 0.2, name: 'drop' }), l.dense({ units: 3, activation: 'softmax', name: 'head' })] });
  const imported = await checkModel(m, [2, 12, 12, 3]);
  assert.equal(imported.model.graph.inputs[0]!.name, 'base_input');
  assert.equal(imported.layers.get('mobilenet_like/Conv1'), 'Conv1');
  assert.equal(imported.layers.get('Conv1'), 'Conv1');
  assert.equal(imported.layers.get('mobilenet_like'), 'mobilenet_like');
  assert.equal(imported.inputHints.hasPreprocessing, true);
  // the same model with its weights quantized as tensorflowjs_converter does; tfjs dequantizes them itself
  for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
    const files = await quantize(await saveTfjs(m), dtype);
    const reloaded = await loadTfjs(files);
    const { error } = await compareWithTfjs(reloaded, files, [2, 12, 12, 3], 5);
    assert.ok(error <= TOL, `${dtype}: relative error ${error}`);
    reloaded.dispose();
  }
});

test('unknown input height and width stay symbolic (TF same padding via SAME_UPPER); a layer shared by two branches', async () => {
  const l = L();
  const x = tf.input({ shape: [null, null, 3], name: 'any_size' });
  const shared = l.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'shared' });
  const a = shared.apply(x) as tf.SymbolicTensor;
  const pooled = l.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'mp' }).apply(x) as tf.SymbolicTensor;
  const b = shared.apply(pooled) as tf.SymbolicTensor;
  const sum = l.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  const gap = l.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tf.SymbolicTensor;
  const out = l.dense({ units: 3, name: 'out' }).apply(gap) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: out });
  const imported = await checkModel(m, [2, 11, 8, 3]);
  assert.deepEqual(imported.model.graph.inputs[0]!.type?.shape, ['N', 'H', 'W', 3]);
  assert.deepEqual(imported.inputHints, { channels: 3, hasPreprocessing: false });
  assert.equal(imported.layers.get('shared'), 'shared');
  assert.ok(imported.model.graph.nodes.some((n) => n.outputs[0] === 'shared_call1'));
  setRandomWeights(m, 2);
  const files = await saveTfjs(m);
  const { error } = await compareWithTfjs(m, files, [1, 7, 9, 3], 2);
  assert.ok(error <= TOL, `relative error at another size ${error}`);
});

test('model.json and weight shards read from files; a missing shard is an IO error naming it', async () => {
  await tfReady();
  const m = tf.sequential({ layers: [L().dense({ inputShape: [4], units: 3, name: 'd' })] });
  setRandomWeights(m, 2);
  const files = await saveTfjs(m);
  const dir = await mkdtemp(join(tmpdir(), 'cnnlens-tfjs-'));
  try {
    const half = Math.floor(files.weightData.length / 2);
    const json = { ...files.modelJson, weightsManifest: [{ paths: ['w1.bin', 'w2.bin'], weights: (files.modelJson['weightsManifest'] as { weights: unknown[] }[])[0]!.weights }] };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(join(dir, 'w1.bin'), files.weightData.subarray(0, half));
    await writeFile(join(dir, 'w2.bin'), files.weightData.subarray(half));
    const imported = convertKeras(await readTfjsFiles(join(dir, 'model.json')));
    const x = randomInput([2, 4], 3);
    const ref = tf.tidy(() => (m.predict(tf.tensor(x, [2, 4])) as tf.Tensor).dataSync());
    const [got] = await runImported(imported, x, [2, 4]);
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(got!.data[i]! - ref[i]!) <= TOL);
    await rm(join(dir, 'w2.bin'));
    await assert.rejects(readTfjsFiles(join(dir, 'model.json')), (e: unknown) => e instanceof CnnlensError && e.code === 'IO' && /w2\.bin/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- closed forms: configs written by hand (Keras 2 dialect) with weights given per layer path ----

function source(modelConfig: unknown, weights: Record<string, WeightArray[]> = {}, kerasVersion?: string): KerasSource {
  return { modelConfig, format: 'keras', ...(kerasVersion ? { kerasVersion } : {}), weights: { layerWeights: (path) => weights[path.join('/')] ?? [] } };
}

const inputLayer = (name: string, shape: (number | null)[]) => ({ class_name: 'InputLayer', name, config: { name, batch_input_shape: [null, ...shape] }, inbound_nodes: [] });
const layer = (class_name: string, name: string, config: Record<string, unknown>, inputs: string[]) => ({ class_name, name, config: { name, ...config }, inbound_nodes: [inputs.map((i) => [i, 0, 0, {}])] });
const functional = (layers: unknown[], input: string, outputs: string[]) => ({ class_name: 'Functional', config: { name: 'm', layers, input_layers: [[input, 0, 0]], output_layers: outputs.map((o) => [o, 0, 0]) } });

/** Runs an elementwise model and compares every output with f(x, channel). */
async function checkElementwise(src: KerasSource, dims: number[], refs: Record<string, (x: number, c: number) => number>): Promise<void> {
  const imported = convertKeras(src);
  const x = randomInput(dims, 11, -4, 4);
  const got = await runImported(imported, x, dims);
  const names = imported.model.graph.outputs.map((o) => o.name);
  const C = dims[dims.length - 1]!;
  for (const [k, name] of names.entries()) {
    const f = refs[name]!;
    let m = 0;
    let scale = 1;
    for (let i = 0; i < x.length; i++) {
      const want = f(x[i]!, i % C);
      scale = Math.max(scale, Math.abs(want));
      m = Math.max(m, Math.abs(got[k]!.data[i]! - want));
    }
    assert.ok(m / scale <= TOL, `${name}: error ${m}`);
  }
  assertDifferentiable(imported);
}

test('closed forms: ReLU threshold / negative_slope / max_value, LeakyReLU negative_slope, hard_sigmoid (Keras 2 and 3), gelu exact and approximate, exponential', async () => {
  const relus: [string, Record<string, unknown>][] = [
    ['r_thr', { threshold: 0.5 }],
    ['r_slope', { negative_slope: 0.1 }],
    ['r_slope_max', { negative_slope: 0.1, max_value: 2 }],
    ['r_all', { threshold: -1, negative_slope: 0.25, max_value: 3 }],
    ['r_thr_max', { threshold: 1, max_value: 2.5 }],
  ];
  // Keras's implementation (backend.relu / keras.ops.relu): positive part x * (x > threshold) clipped to [0, max_value], minus slope * relu(threshold - x)
  const kerasRelu = (x: number, o: Record<string, unknown>) => {
    const t = (o['threshold'] as number | undefined) ?? 0;
    const s = (o['negative_slope'] as number | undefined) ?? 0;
    const mx = (o['max_value'] as number | undefined) ?? Infinity;
    const pos = Math.min(mx, Math.max(0, x > t ? x : 0));
    return pos - s * Math.max(t - x, 0);
  };
  const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  const layers = [
    inputLayer('x', [3, 4, 2]),
    ...relus.map(([n, c]) => layer('ReLU', n, c, ['x'])),
    layer('LeakyReLU', 'leaky3', { negative_slope: 0.15 }, ['x']),
    layer('Activation', 'hsig', { activation: 'hard_sigmoid' }, ['x']),
    layer('Activation', 'gelu', { activation: 'gelu' }, ['x']),
    layer('Activation', 'gelu_approx', { activation: 'gelu', approximate: true }, ['x']),
    layer('Activation', 'exp', { activation: 'exponential' }, ['x']),
  ];
  const outs = layers.slice(1).map((e) => e.name);
  const refs: Record<string, (x: number) => number> = {
    ...Object.fromEntries(relus.map(([n, c]) => [n, (x: number) => kerasRelu(x, c)])),
    leaky3: (x) => (x >= 0 ? x : 0.15 * x),
    hsig: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
    gelu,
    gelu_approx: geluTanh,
    exp: Math.exp,
  };
  await checkElementwise(source(functional(layers, 'x', outs)), [2, 3, 4, 2], refs);
  // Keras 3's hard_sigmoid is relu6(x + 3) / 6
  await checkElementwise(source(functional(layers, 'x', outs), {}, '3.4.1'), [2, 3, 4, 2], { ...refs, hsig: (x) => Math.min(6, Math.max(0, x + 3)) / 6 });
});

test('closed forms: Subtract, Rescaling per channel, Normalization (weights and config), which sets hasPreprocessing', async () => {
  const mean = [0.5, -1, 2];
  const variance = [4, 0.25, 1e-20];
  const sd = variance.map((v) => Math.max(Math.sqrt(v), 1e-7));
  const layers = [
    inputLayer('x', [2, 3, 3]),
    layer('Normalization', 'norm', { axis: -1 }, ['x']),
    layer('Normalization', 'norm_cfg', { axis: -1, mean: [1, 2, 3], variance: [1, 4, 9] }, ['x']),
    layer('Rescaling', 'scale', { scale: [1, 2, 3], offset: 0.5 }, ['norm']),
    layer('ReLU', 'relu', {}, ['x']),
    layer('Subtract', 'diff', {}, ['scale', 'relu']),
  ];
  const weights = { norm: [{ shape: [3], data: Float32Array.from(mean) }, { shape: [3], data: Float32Array.from(variance) }, { shape: [], data: Float32Array.from([10]) }] };
  const src = source(functional(layers, 'x', ['diff', 'norm_cfg']), weights);
  await checkElementwise(src, [2, 2, 3, 3], {
    diff: (x, c) => ((x - mean[c]!) / sd[c]!) * (c + 1) + 0.5 - Math.max(x, 0),
    norm_cfg: (x, c) => (x - (c + 1)) / (c + 1),
  });
  assert.equal(convertKeras(src).inputHints.hasPreprocessing, true);
});

test('closed forms: grouped Conv2D and global pooling with keepdims', async () => {
  const rnd = new Random(4);
  const kernel = Float32Array.from(rnd.normals(3 * 3 * 2 * 6));
  const bias = Float32Array.from(rnd.normals(6));
  const layers = [
    inputLayer('x', [5, 5, 4]),
    layer('Conv2D', 'gconv', { filters: 6, kernel_size: [3, 3], groups: 2, padding: 'valid', activation: 'linear' }, ['x']),
    layer('GlobalAveragePooling2D', 'gap', { keepdims: true }, ['gconv']),
    layer('GlobalMaxPooling2D', 'gmp', { keepdims: true }, ['gconv']),
  ];
  const imported = convertKeras(source(functional(layers, 'x', ['gconv', 'gap', 'gmp']), { gconv: [{ shape: [3, 3, 2, 6], data: kernel }, { shape: [6], data: bias }] }));
  const dims = [1, 5, 5, 4];
  const x = randomInput(dims, 9);
  const [conv, gap, gmp] = await runImported(imported, x, dims);
  assert.deepEqual(conv!.dims, [1, 3, 3, 6]);
  assert.deepEqual(gap!.dims, [1, 1, 1, 6]);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      for (let o = 0; o < 6; o++) {
        const g = Math.floor(o / 3);
        let s = bias[o]!;
        for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) for (let c = 0; c < 2; c++) s += x[((i + u) * 5 + (j + v)) * 4 + g * 2 + c]! * kernel[((u * 3 + v) * 2 + c) * 6 + o]!;
        assert.ok(Math.abs(conv!.data[(i * 3 + j) * 6 + o]! - s) <= 1e-4 * Math.max(1, Math.abs(s)));
      }
  for (let o = 0; o < 6; o++) {
    const vals = Array.from({ length: 9 }, (_, p) => conv!.data[p * 6 + o]!);
    assert.ok(Math.abs(gap!.data[o]! - vals.reduce((a, b) => a + b, 0) / 9) <= 1e-5);
    assert.equal(gmp!.data[o], Math.max(...vals));
  }
  assertDifferentiable(imported);
});

test('legacy Sequential configs: a bare layer list whose first layer carries batch_input_shape; SpatialDropout2D', async () => {
  const rnd = new Random(5);
  const k = Float32Array.from(rnd.normals(12));
  const cfg = {
    class_name: 'Sequential',
    config: [
      { class_name: 'Dense', config: { name: 'fc', units: 3, batch_input_shape: [null, 4], activation: 'relu' } },
      { class_name: 'Reshape', config: { name: 'img', target_shape: [1, 1, 3] } },
      { class_name: 'SpatialDropout2D', config: { name: 'sdrop', rate: 0.5 } },
      { class_name: 'Flatten', config: { name: 'flat' } },
    ],
  };
  const imported = convertKeras(source(cfg, { fc: [{ shape: [4, 3], data: k }, { shape: [3], data: new Float32Array(3) }] }));
  assert.equal(imported.model.graph.inputs[0]!.name, 'fc_input');
  const [y] = await runImported(imported, Float32Array.from([1, 0, 0, 0]), [1, 4]);
  assert.deepEqual(Array.from(y!.data), Array.from(k.subarray(0, 3), (v) => Math.max(v, 0)));
});

test('nested layer names clashing with outer names are prefixed with the nested model name', () => {
  const inner = functional([inputLayer('in', [4, 4, 1]), layer('ReLU', 'act', {}, ['in'])], 'in', ['act']);
  const cfg = {
    class_name: 'Sequential',
    config: { name: 'outer', layers: [{ class_name: 'Functional', config: { ...inner.config, name: 'base' } }, { class_name: 'ReLU', config: { name: 'act' } }] },
  };
  const imported = convertKeras(source(cfg));
  assert.equal(imported.layers.get('base/act'), 'base/act');
  assert.equal(imported.layers.get('act'), 'act');
  assert.equal(imported.model.graph.outputs[0]!.name, 'act');
  assert.ok(imported.model.graph.nodes.some((n) => n.outputs[0] === 'base/act' && n.opType === 'Relu'));
});

// ---- errors ----

function rejects(f: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof CnnlensError && e.code === code && pattern.test(e.message), `expected ${code} matching ${pattern}`);
}

async function smallFiles(): Promise<TfjsFiles> {
  await tfReady();
  const m = tf.sequential({ layers: [L().conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3, name: 'conv' }), L().flatten({ name: 'flat' })] });
  return saveTfjs(m);
}

test('errors: unknown layer class, missing weights, wrong weight shape, graph model, garbage', async () => {
  const files = await smallFiles();
  const topo = files.modelJson['modelTopology'] as { config: { layers: { class_name: string }[] } };
  const withClass = structuredClone(files.modelJson) as typeof files.modelJson;
  (withClass['modelTopology'] as typeof topo).config.layers[1]!.class_name = 'UpSampling3D';
  rejects(() => convertKeras(tfjsSource(withClass, files.weightData)), 'MODEL_UNSUPPORTED', /'flat'.*UpSampling3D.*Supported layers: .*Conv2D/);

  const specs = (files.modelJson['weightsManifest'] as { weights: { name: string; shape: number[] }[] }[])[0]!.weights;
  const noBias = { ...files.modelJson, weightsManifest: [{ paths: ['w'], weights: specs.filter((s) => s.name !== 'conv/kernel') }] };
  rejects(() => convertKeras(tfjsSource(noBias, files.weightData.subarray(3 * 3 * 2 * 3 * 4))), 'MODEL_FORMAT', /conv.*expected 2 weight arrays/);

  const reshaped = { ...files.modelJson, weightsManifest: [{ paths: ['w'], weights: specs.map((s) => (s.name === 'conv/kernel' ? { ...s, shape: [3, 3, 3, 2] } : s)) }] };
  rejects(() => convertKeras(tfjsSource(reshaped, files.weightData)), 'MODEL_FORMAT', /conv.*kernel.*\[3, 3, 3, 2\].*expected \[3, 3, 2, 3\]/);

  rejects(() => tfjsSource(files.modelJson, files.weightData.subarray(8)), 'MODEL_FORMAT', /weight data/);
  rejects(() => tfjsSource({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }, new Uint8Array()), 'MODEL_UNSUPPORTED', /graph model.*layers model/);
  rejects(() => tfjsSource('garbage', new Uint8Array()), 'MODEL_FORMAT', /not a JSON object/);
  rejects(() => tfjsSource({ modelTopology: 7 }, new Uint8Array()), 'MODEL_FORMAT', /modelTopology/);
  rejects(() => convertKeras(source({ class_name: 'Functional', config: { layers: 'x' } })), 'MODEL_FORMAT', /layers list/);
  rejects(() => convertKeras(source(null)), 'MODEL_FORMAT', /not an object/);
  rejects(() => convertKeras(source({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] } })), 'MODEL_FORMAT', /input shape/);
  rejects(
    () => convertKeras(source(functional([inputLayer('x', [4, 4, 3]), layer('Conv2D', 'c', { filters: 2, kernel_size: 3, data_format: 'channels_first' }, ['x'])], 'x', ['c']))),
    'MODEL_UNSUPPORTED',
    /Conv2D layer 'c'.*channels_first/,
  );
  rejects(
    () => convertKeras(source(functional([inputLayer('x', [4, 4, 3]), layer('Activation', 'a', { activation: 'bogus' }, ['x'])], 'x', ['a']))),
    'MODEL_UNSUPPORTED',
    /Activation layer 'a'.*bogus/,
  );
  rejects(() => convertKeras(source(functional([inputLayer('x', [4, 4, 3]), layer('ReLU', 'r', {}, ['nowhere'])], 'x', ['r']))), 'MODEL_FORMAT', /'nowhere'/);
});

/** erf by its Maclaurin series (inputs here are within ±4; beyond 5 erf is ±1 to double precision). */
function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
    if (Math.abs(term) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
