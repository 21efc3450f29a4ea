import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { upsampleBilinear } from './upsample.js';

test('a constant map stays constant', () => {
  const out = upsampleBilinear(new Float32Array(9).fill(2.5), 3, 3, 17, 11);
  assert.ok(out.every((v) => v === 2.5));
});

test('2x upsampling of [0, 1] follows half-pixel centres (closed form)', () => {
  // input centres at 0.5 and 1.5 (input units); output centres at 0.25, 0.75, 1.25, 1.75
  // -> source coordinates -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
  const out = upsampleBilinear([0, 1], 1, 2, 1, 4);
  assert.deepEqual([...out], [0, 0.25, 0.75, 1]);
});

test('matches PyTorch F.interpolate(bilinear, align_corners=False)', (t) => {
  const script = [
    'import torch, json, sys',
    'torch.manual_seed(0)',
    'x = torch.arange(35, dtype=torch.float64).reshape(1, 1, 5, 7).sin()',
    'y = torch.nn.functional.interpolate(x, size=(13, 22), mode="bilinear", align_corners=False)',
    'print(json.dumps({"x": x.flatten().tolist(), "y": y.flatten().tolist()}))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`PyTorch not available at /usr/bin/python3 (scripts/test.sh installs it): ${r.stderr.slice(0, 200)}`);
    return;
  }
  const { x, y } = JSON.parse(r.stdout) as { x: number[]; y: number[] };
  const out = upsampleBilinear(x, 5, 7, 13, 22);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(out[i]! - y[i]!) < 1e-6, `pixel ${i}: ${out[i]} vs ${y[i]}`);
});
