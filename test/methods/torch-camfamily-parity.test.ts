/**
 * The CAM family on real CNN architectures against plain-PyTorch implementations of the same equations.
 *
 * `scripts/torch_camfamily_fixtures.py` exports resnet18 and mobilenet_v2 (the seeded random weights of
 * scripts/torch_models.py) to ONNX with their last conv feature map as a second output named 'layer',
 * on a batch of [a photo (examples/images/grace_hopper.jpg), a standard-normal image], and writes
 * float64 references of Grad-CAM++, XGrad-CAM, HiResCAM, LayerCAM, Eigen-CAM, Ablation-CAM and
 * Score-CAM (the equations are in that script's docstring), at the layer's resolution and upsampled.
 * Cases: resnet18 at 224 (Score-CAM on its 16 channels of largest mean activation), mobilenet_v2 at
 * 224 (4 channels) and resnet18 at 40 x 40 (a 2 x 2 layer; Score-CAM over all 512 channels, 1024
 * forward passes). With these random weights mobilenet_v2's last layer hardly depends on the input
 * (the photo's and the noise image's maps agree to ~1e-7, as for mobilenet_v3_small and
 * efficientnet_b0), so that case checks the arithmetic on a depthwise / ReLU6 / 1280-channel head, and
 * resnet18 (whose residual paths keep the input's imprint) checks input-dependent maps.
 *
 * Criterion (DESIGN.md, "Verification"), per example and per map:
 *   max |ours - ref64| / max |ref64| <= max(1e-3, 2 * e32)
 * where e32 is PyTorch float32's own error (same measure, same example) against the float64 reference.
 * Score-CAM's channel selection and Eigen-CAM's component must be well defined for the comparison to
 * mean anything: the fixtures record the gap at the selection's edge and lambda_2 / lambda_1, checked here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readNpy } from '../../src/data/npy.js';
import { explain, type ExplainResult } from '../../src/methods/explain.js';
import { imageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { rangeRelErr } from '../util/map-checks.js';

const DIR = new URL('../fixtures/torch-camfamily/', import.meta.url);
const CASES = ['resnet18-224', 'mobilenet_v2-224', 'resnet18-40'];
/** method id -> the fixtures' map name */
const METHODS: Record<string, string> = {
  'gradcam++': 'gradcampp',
  xgradcam: 'xgradcam',
  hirescam: 'hirescam',
  layercam: 'layercam',
  eigencam: 'eigencam',
  ablationcam: 'ablationcam',
  scorecam: 'scorecam',
};

interface Meta {
  size: number;
  targets: number[];
  scorecamTop: number;
  scorecamSelectionMargin: (number | null)[];
  eigenRatio: number[];
  f32Error: Record<string, number[]>;
}

function npy(name: string) {
  return readNpy(new Uint8Array(readFileSync(new URL(name, DIR))));
}

for (const name of CASES) {
  test(`PyTorch CAM-family parity: ${name}`, async (t) => {
    const onnxPath = new URL(`${name}.onnx`, DIR);
    if (!existsSync(onnxPath)) assert.fail(`missing fixture ${onnxPath.pathname}: run scripts/torch_camfamily_fixtures.py (scripts/test.sh does)`);
    const meta = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Meta;
    const spec: InputSpec = {
      layout: 'NCHW', height: meta.size, width: meta.size, channels: 3, range: [0, 1],
      mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', source: 'options',
    };
    const model = imageModel(loadModelFile(onnxPath.pathname), { name, source: `test/fixtures/torch-camfamily/${name}.onnx`, input: spec });
    const x = npy(`${name}.input.npy`);
    const input: HostTensor = { type: 'float32', dims: x.shape, data: x.data };
    for (const [b, margin] of meta.scorecamSelectionMargin.entries()) {
      t.diagnostic(`example ${b}: Score-CAM selection gap ${margin === null ? '(all channels)' : margin.toExponential(2)}; Eigen-CAM lambda_2/lambda_1 ${meta.eigenRatio[b]!.toFixed(3)}`);
      if (margin !== null) assert.ok(margin > 1e-4, `example ${b}: the top-${meta.scorecamTop} channel selection is a near-tie (${margin})`);
      assert.ok(meta.eigenRatio[b]! < 0.99, `example ${b}: Eigen-CAM's first component is nearly degenerate`);
    }

    const progress: number[] = [];
    const r: ExplainResult = await explain(model, input, {
      backend: nodeBackend, threads: 2, methods: Object.keys(METHODS), layer: 'layer',
      methodOptions: { 'scorecam-top': meta.scorecamTop }, onProgress: (_done, total) => progress.push(total),
    });
    assert.deepEqual(r.targets.map((g) => g.index), meta.targets, 'top classes');
    const copies = meta.scorecamTop > 0 ? 2 * meta.scorecamTop : 2 * 512;
    assert.ok(progress.includes(copies), `Score-CAM reports progress over its ${copies} masked inputs`);
    for (const run of r.results) {
      const kind = METHODS[run.method]!;
      for (const [got, ref] of [[run.layerMap!, `${kind}_layer`], [run.map, kind]] as const) {
        const want = npy(`${name}.${ref}.f64.npy`);
        assert.deepEqual(got.dims, want.shape, `${run.method} ${ref} shape`);
        const per = want.data.length / want.shape[0]!;
        for (let b = 0; b < 2; b++) {
          const err = rangeRelErr((got.data as Float32Array).subarray(b * per, (b + 1) * per), want.data as Float64Array, b * per, (b + 1) * per, 0);
          const e32 = meta.f32Error[ref]![b]!;
          const bound = Math.max(1e-3, 2 * e32);
          t.diagnostic(`example ${b} ${ref}: error ${err.toExponential(2)} (bound ${bound.toExponential(2)}, PyTorch float32 ${e32.toExponential(2)}) in ${run.ms.toFixed(0)} ms`);
          assert.ok(err <= bound, `${name} ${ref} example ${b}: error ${err.toExponential(3)} > ${bound.toExponential(3)}`);
        }
      }
    }
  });
}
