/**
 * Gradients of real CNN architectures against PyTorch autograd.
 *
 * `scripts/torch-fixtures.sh` exports torchvision models with fixed random weights to ONNX and writes
 * reference gradients of L = sum_b logits[b, target_b] w.r.t. the input and one intermediate feature
 * map, computed by PyTorch in float64 (`model.double()`) and float32, plus guided-backprop and
 * deconvnet references from a plain-PyTorch implementation of those rules.
 *
 * Criterion (DESIGN.md, "Verification"): max |ours - ref64| / max |ref64| <= max(1e-3, 2 * e32) where
 * e32 is PyTorch float32's own error against the same float64 reference. Checked at batch 4 and batch 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { differentiate, gradName } from '../../src/autodiff/differentiate.js';
import type { RuleSetName } from '../../src/autodiff/rulesets.js';
import { readNpy } from '../../src/data/npy.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import { saveModel } from '../../src/onnx/load.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import type { HostTensor } from '../../src/runtime/backend.js';

const DIR = new URL('../fixtures/torch/', import.meta.url);
const MODELS = ['mobilenet_v2', 'mobilenet_v3_small', 'resnet18', 'resnet50', 'vgg11_bn', 'densenet121', 'squeezenet1_1', 'efficientnet_b0', 'inception_v3', 'convnext_tiny'];

function npy(name: string) {
  return readNpy(new Uint8Array(readFileSync(new URL(name, DIR))));
}

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>, from = 0, to = ref.length): number {
  let num = 0;
  let den = 0;
  for (let i = from; i < to; i++) {
    num = Math.max(num, Math.abs(a[i - from]! - ref[i]!));
    den = Math.max(den, Math.abs(ref[i]!));
  }
  return num / den;
}

function oneHot(batch: number, classes: number, targets: number[]): HostTensor {
  const d = new Float32Array(batch * classes);
  for (let b = 0; b < batch; b++) d[b * classes + targets[b]!] = 1;
  return { type: 'float32', dims: [batch, classes], data: d };
}

for (const name of MODELS) {
  test(`PyTorch parity: ${name}`, async (t) => {
    const onnxPath = new URL(`${name}.onnx`, DIR);
    if (!existsSync(onnxPath)) {
      assert.fail(`missing fixture ${onnxPath.pathname}: run scripts/torch-fixtures.sh (scripts/test.sh does)`);
    }
    const meta = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as { targets: number[]; logitsShape: number[]; f32Error: Record<string, number> };
    const model = loadModelFile(onnxPath.pathname);
    const input = npy(`${name}.input.npy`);
    const classes = meta.logitsShape[1]!;
    const perExample = input.data.length / 4;

    const cases: { rules: RuleSetName; wrt: string[]; refs: Record<string, string> }[] = [
      { rules: 'standard', wrt: ['input', 'feature'], refs: { input: 'grad_input', feature: 'grad_feature' } },
      { rules: 'guided', wrt: ['input'], refs: { input: 'guided' } },
      { rules: 'deconvnet', wrt: ['input'], refs: { input: 'deconvnet' } },
    ];
    for (const c of cases) {
      const d = differentiate(model, { wrt: c.wrt, seeds: ['logits'], rules: c.rules });
      const session = await nodeBackend.createSession(saveModel(d.model), { threads: 2 });
      try {
        for (const batch of [4, 1]) {
          const x: HostTensor = { type: 'float32', dims: [batch, ...input.shape.slice(1)], data: (input.data as Float32Array).subarray(0, batch * perExample) };
          const out = await session.run({ input: x, 'seed:logits': oneHot(batch, classes, meta.targets) }, c.wrt.map(gradName));
          for (const w of c.wrt) {
            const kind = c.refs[w]!;
            const ref64 = npy(`${name}.${kind}.f64.npy`).data as Float64Array;
            const e32 = meta.f32Error[kind === 'grad_input' ? 'input' : kind === 'grad_feature' ? 'feature' : kind]!;
            const got = out[gradName(w)]!.data as Float32Array;
            const n = got.length;
            const err = relErr(got, ref64, 0, n);
            const bound = Math.max(1e-3, 2 * e32);
            t.diagnostic(`${c.rules} d/d${w} batch ${batch}: error ${err.toExponential(2)} (bound ${bound.toExponential(2)}, PyTorch float32 ${e32.toExponential(2)})`);
            assert.ok(err <= bound, `${name} ${c.rules} gradient w.r.t. ${w} at batch ${batch}: error ${err.toExponential(3)} > ${bound.toExponential(3)}`);
          }
        }
      } finally {
        await session.release();
      }
    }
  });
}
