import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { imageBatch, toModelInput } from '../../src/featurevis/image-batch.js';
import { channel, classLogit, direction, diversity, layer, neuron, parseObjective, type Objective } from '../../src/featurevis/objectives.js';
import { objectivePlan } from '../../src/featurevis/plan.js';
import { visualize } from '../../src/featurevis/visualize.js';
import type { ImageModel } from '../../src/model/image-model.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';

// the default model: nsfwjs's fine-tuned MobileNetV2 (trained weights, so its units respond to patterns)
let model: ImageModel;
const L = 'block_13_expand_relu';
const threads = 2;

before(async () => {
  model = (await loadImageModel(undefined)).model;
});

async function values(o: Objective, x: Float32Array, n: number) {
  const plan = await objectivePlan(model, o, { backend: nodeBackend, batch: n, threads });
  return plan.run(toModelInput(imageBatch(n, 3, 224, 224, x), model.input));
}

describe('objectives compiled into the graph (default MobileNetV2)', () => {
  it('a weighted sum is the weighted sum of its terms, per example', async () => {
    const rng = new Random(1);
    const x = Float32Array.from(rng.uniforms(2 * 3 * 224 * 224, 0, 1));
    const a = await values(channel(L, 3), x, 2);
    const b = await values(neuron(L, 5, 2, 9), x, 2);
    const c = await values(classLogit(2), x, 2);
    const mix = await values(channel(L, 3).times(2).minus(neuron(L, 5, 2, 9)).plus(classLogit(2).times(0.25)), x, 2);
    for (let i = 0; i < 2; i++) {
      const want = 2 * a.values[i]! - b.values[i]! + 0.25 * c.values[i]!;
      assert.ok(Math.abs(mix.values[i]! - want) < 1e-4 * (1 + Math.abs(want)), `example ${i}: ${mix.values[i]} vs ${want}`);
    }
    // one example only: the other's value is zero
    const only = await values(channel(L, 3).forExample(1), x, 2);
    assert.equal(only.values[0], 0);
    assert.ok(Math.abs(only.values[1]! - a.values[1]!) < 1e-6);
    assert.equal(parseObjective(`channel(${L}, 3) - 0.5 * diversity(${L})`).toString(), `channel(${L}, 3) - 0.5 * diversity(${L})`);
  });

  it('the gradient of a mixed objective (diversity, direction, layer) matches finite differences', async () => {
    const rng = new Random(2);
    const n = 2;
    const x = Float32Array.from(rng.uniforms(n * 3 * 224 * 224, 0.2, 0.8));
    const o = channel(L, 7).plus(diversity(L).times(3)).plus(direction('block_6_project_BN', rng.normals(64))).plus(layer('block_3_expand_relu').times(0.1));
    const plan = await objectivePlan(model, o, { backend: nodeBackend, batch: n, threads });
    const r = await plan.run(toModelInput(imageBatch(n, 3, 224, 224, x), model.input));
    // the model input is NHWC in [0, 1] for this model: the gradient is w.r.t. it directly
    const g = r.gradient.data as Float32Array;
    const v = Float32Array.from(rng.normals(x.length));
    let gv = 0;
    for (let i = 0; i < x.length; i++) gv += g[nhwcIndex(i)]! * v[i]!;
    // a small step: ReLU6 kinks lie close to any input
    const h = 1e-3;
    const at = async (s: number) => {
      const xs = Float32Array.from(x, (xi, i) => xi + s * v[i]!);
      const out = await plan.run(toModelInput(imageBatch(n, 3, 224, 224, xs), model.input));
      return out.values.reduce((a, b) => a + b, 0);
    };
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    assert.ok(Math.abs(fd - gv) < 0.03 * Math.abs(gv) + 1e-4, `directional derivative ${gv} vs finite difference ${fd}`);
  });
});

/** NCHW flat index (n, c, y, x of 224x224x3) → NHWC flat index. */
function nhwcIndex(i: number): number {
  const plane = 224 * 224;
  const b = Math.floor(i / (3 * plane));
  const c = Math.floor(i / plane) % 3;
  const p = i % plane;
  return (b * plane + p) * 3 + c;
}

describe('visualize (default MobileNetV2)', () => {
  it('a channel objective rises in expectation and ends at least 10x its start', async () => {
    const r = await visualize(model, { backend: nodeBackend, threads, objective: channel(L, 3), steps: 96, seed: 0 });
    assert.ok(r.start[0]! > 0, `start ${r.start[0]}`);
    assert.ok(r.end[0]! >= 10 * r.start[0]!, `end ${r.end[0]} vs start ${r.start[0]}`);
    // quarter means of the per-step objective increase
    const q = r.history.length / 4;
    const means = [0, 1, 2, 3].map((k) => r.history.slice(k * q, (k + 1) * q).reduce((a, b) => a + b, 0) / q);
    for (let k = 1; k < 4; k++) assert.ok(means[k]! > means[k - 1]!, `quarter means ${means.map((m) => m.toFixed(3)).join(', ')}`);
  });

  it('the same seed gives the same images bit for bit; another seed does not', async () => {
    const run = (seed: number) => visualize(model, { backend: nodeBackend, threads, objective: channel(L, 11).minus(diversity(L)), batch: 2, steps: 6, seed });
    const a = await run(4);
    const b = await run(4);
    const c = await run(5);
    assert.deepEqual(Buffer.from(a.images.data.buffer), Buffer.from(b.images.data.buffer));
    assert.deepEqual(a.history, b.history);
    assert.notDeepEqual(Buffer.from(a.images.data.buffer), Buffer.from(c.images.data.buffer));
  });
});
