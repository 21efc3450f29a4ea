/**
 * Occlusion on a real CNN against a plain-PyTorch implementation of the same definition.
 *
 * `scripts/torch_occlusion_fixtures.py` exports resnet18 (the seeded random weights of
 * scripts/torch_models.py) to ONNX and, on a batch of [the bundled photo examples/images/chelsea.png,
 * a standard-normal image], writes float64 references of occlusion with a 32 x 32 window at stride 16
 * (169 positions at 224 x 224), for the grey and blur fills: per pixel, the mean over the windows
 * covering it of the softmax probability of the top class and of the drop of its logit.
 *
 * Criterion (DESIGN.md, "Verification"), per example and per map:
 *   max |ours - ref64| / max |ref64| <= max(1e-3, 2 * e32)
 * where e32 is PyTorch float32's own error (same measure, same example) against the float64 reference
 * (about 3e-6 for the probability maps and 5e-5 for the logit drops: the bound is 1e-3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readNpy } from '../../src/data/npy.js';
import { explain } from '../../src/methods/explain.js';
import { imageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { rangeRelErr } from '../util/map-checks.js';

const DIR = new URL('../fixtures/torch-occlusion/', import.meta.url);
const SPEC: InputSpec = {
  layout: 'NCHW', height: 224, width: 224, channels: 3, range: [0, 1],
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', source: 'options',
};

interface Meta {
  targets: number[];
  window: number;
  stride: number;
  windows: number;
  fills: string[];
  f32Error: Record<string, number[]>;
}

function npy(name: string) {
  return readNpy(new Uint8Array(readFileSync(new URL(name, DIR))));
}

test('PyTorch occlusion parity: resnet18, window 32, stride 16, grey and blur fills', async (t) => {
  const name = 'resnet18';
  const onnxPath = new URL(`${name}.onnx`, DIR);
  if (!existsSync(onnxPath)) assert.fail(`missing fixture ${onnxPath.pathname}: run scripts/torch_occlusion_fixtures.py (scripts/test.sh does)`);
  const meta = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Meta;
  const model = imageModel(loadModelFile(onnxPath.pathname), { name, source: `test/fixtures/torch-occlusion/${name}.onnx`, input: SPEC });
  const x = npy(`${name}.input.npy`);
  const input: HostTensor = { type: 'float32', dims: x.shape, data: x.data };
  const batch = x.shape[0]!;
  for (const fill of meta.fills) {
    let calls = 0;
    const r = await explain(model, input, {
      backend: nodeBackend, threads: 2, methods: ['occlusion'], methodOptions: { window: meta.window, stride: meta.stride, fill },
      onProgress: () => calls++,
    });
    assert.deepEqual(r.targets.map((g) => g.index), meta.targets, 'top classes');
    const o = r.results[0]!;
    assert.deepEqual(o.extra?.values?.['windows'], Array(batch).fill(meta.windows));
    for (const [kind, got] of [['prob', o.map], ['drop', o.extra!.maps!['logit-drop']!]] as const) {
      const ref = npy(`${name}.${fill}.${kind}.f64.npy`);
      assert.deepEqual(got.dims, ref.shape);
      const per = ref.data.length / batch;
      for (let b = 0; b < batch; b++) {
        const err = rangeRelErr(got.data as Float32Array, ref.data as Float64Array, b * per, (b + 1) * per);
        const e32 = meta.f32Error[`${fill}.${kind}`]![b]!;
        const bound = Math.max(1e-3, 2 * e32);
        t.diagnostic(`${fill} ${kind} example ${b}: error ${err.toExponential(2)} (bound ${bound.toExponential(2)}, PyTorch float32 ${e32.toExponential(2)})`);
        assert.ok(err <= bound, `${fill} ${kind} example ${b}: ${err} > ${bound}`);
      }
    }
    t.diagnostic(`${fill}: ${r.results[0]!.ms.toFixed(0)} ms for ${batch * meta.windows} occluded copies, ${calls} progress reports`);
  }
});
