/** Deletion / insertion curves against closed forms on a linear score, batching, ordering, areas. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perturbationCurve, pixelOrder, trapezoid } from '../../src/metrics/deletion.js';
import type { HostTensor } from '../../src/runtime/backend.js';

// score = sum of all values: deleting pixel p (to 0) removes exactly its value summed over channels
const sumScorer = async (t: HostTensor) => {
  const per = t.data.length / t.dims[0]!;
  return Float32Array.from({ length: t.dims[0]! }, (_, b) => (t.data as Float32Array).subarray(b * per, (b + 1) * per).reduce((a, v) => a + v, 0));
};

test('pixelOrder: largest first, ties in index order', () => {
  assert.deepEqual([...pixelOrder([0.1, 3, -1, 3, 2])], [1, 3, 4, 0, 2]);
});

test('trapezoid area of a line is exact', () => {
  assert.equal(trapezoid([0, 0.5, 1], [1, 0.5, 0]), 0.5);
});

for (const layout of ['NCHW', 'NHWC'] as const) {
  test(`deletion and insertion of a linear score follow the closed form (${layout})`, async () => {
    // 2 channels of 2x2 pixels; pixel p holds values v_p in both channels
    const v = [4, 1, 3, 2];
    const data = layout === 'NCHW' ? Float32Array.from([...v, ...v]) : Float32Array.from(v.flatMap((x) => [x, x]));
    const input: HostTensor = { type: 'float32', dims: layout === 'NCHW' ? [1, 2, 2, 2] : [1, 2, 2, 2], data };
    const del = await perturbationCurve('deletion', input, v, sumScorer, { steps: 4, layout, batch: 2 });
    // sorted values 4, 3, 2, 1 removed one by one from a total of 2 * 10
    assert.deepEqual([...del.y], [20, 12, 6, 2, 0]);
    assert.deepEqual([...del.x], [0, 0.25, 0.5, 0.75, 1]);
    assert.ok(Math.abs(del.auc - trapezoid([0, 0.25, 0.5, 0.75, 1], [20, 12, 6, 2, 0])) < 1e-12);
    const ins = await perturbationCurve('insertion', input, v, sumScorer, { steps: 4, layout });
    assert.deepEqual([...ins.y], [0, 8, 14, 18, 20]);
    // deletion + insertion = total at every point, so the areas add up to the total
    assert.ok(Math.abs(del.auc + ins.auc - 20) < 1e-9);
    // a worse (reversed) map deletes slower: a larger deletion area
    const worse = await perturbationCurve('deletion', input, v.map((x) => -x), sumScorer, { steps: 4, layout });
    assert.ok(worse.auc > del.auc);
  });
}

test('batched and unbatched curves agree; a baseline replaces removed pixels', async () => {
  const P = 49;
  const data = Float32Array.from({ length: 3 * P }, (_, i) => Math.sin(i));
  const map = Float32Array.from({ length: P }, (_, i) => Math.cos(3 * i));
  const baseline: HostTensor = { type: 'float32', dims: [1, 3, 7, 7], data: new Float32Array(3 * P).fill(0.5) };
  const input: HostTensor = { type: 'float32', dims: [1, 3, 7, 7], data };
  const a = await perturbationCurve('deletion', input, map, sumScorer, { steps: 10, batch: 1, baseline });
  const b = await perturbationCurve('deletion', input, map, sumScorer, { steps: 10, batch: 64, baseline });
  assert.deepEqual([...a.y], [...b.y]);
  assert.ok(Math.abs(a.y[10]! - 0.5 * 3 * P) < 1e-4);
});

test('on a model: the curve starts at the target probability of the input and ends at the baseline\'s', async () => {
  const { readFileSync } = await import('node:fs');
  const { readNpy } = await import('../../src/data/npy.js');
  const { loadImageModel } = await import('../../src/model/load-file.js');
  const { explain } = await import('../../src/methods/explain.js');
  const { nodeBackend } = await import('../../src/runtime/node-backend.js');
  const { probabilityScorer } = await import('../../src/metrics/deletion.js');
  const { model } = await loadImageModel(new URL('../../examples/tiny-cnn.onnx', import.meta.url).pathname);
  const x = readNpy(new Uint8Array(readFileSync(new URL('../../examples/chelsea-64.npy', import.meta.url))));
  const input: HostTensor = { type: 'float32', dims: [...x.shape], data: x.data };
  const r = await explain(model, input, { backend: nodeBackend, methods: ['gradcam'] });
  const cls = r.predictions[0]![0]!;
  const score = probabilityScorer(model, cls.index, { backend: nodeBackend });
  const del = await perturbationCurve('deletion', input, r.results[0]!.map.data as Float32Array, score, { steps: 16 });
  assert.ok(Math.abs(del.y[0]! - cls.probability) < 1e-5);
  const zero = await score({ type: 'float32', dims: input.dims, data: new Float32Array(input.data.length) });
  assert.ok(Math.abs(del.y[16]! - zero[0]!) < 1e-5);
  assert.ok(del.auc >= 0 && del.auc <= 1);
});
