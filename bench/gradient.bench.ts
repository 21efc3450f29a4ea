/**
 * Forward + input gradient speed, side by side in one run:
 *   - ONNX Runtime forward alone (the model's own graph),
 *   - cnnlens forward + input gradient (the augmented graph, one ORT call),
 *   - plain PyTorch autograd (torch.autograd.grad w.r.t. the input, same weights, same threads),
 * interleaved round by round so that machine noise hits all three alike. Reports medians and ratios.
 *
 * Run: bash scripts/bench.sh   (or: npx tsx bench/gradient.bench.ts [--rounds R] [--models a,b] [--batches 1,32])
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { differentiate } from '../src/autodiff/differentiate.js';
import { loadModelFile } from '../src/onnx/load-file.js';
import { saveModel } from '../src/onnx/load.js';
import type { Model } from '../src/onnx/ir.js';
import { nodeBackend } from '../src/runtime/node-backend.js';
import type { HostTensor, RuntimeSession } from '../src/runtime/backend.js';
import { Random } from '../src/util/random.js';
import { TorchWorker } from './torch-worker.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    models: { type: 'string', default: 'mobilenet_v2,resnet50' },
    batches: { type: 'string', default: '1,32' },
    threads: { type: 'string', default: '2' },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const fixtures = new URL('../test/fixtures/torch/', import.meta.url).pathname;

/** The model with only its logits output (the fixtures also expose an intermediate feature map). */
function logitsOnly(m: Model): Model {
  return { ...m, graph: { ...m.graph, outputs: m.graph.outputs.filter((o) => o.name === 'logits') } };
}

async function time(session: RuntimeSession, feeds: Record<string, HostTensor>, fetch: string[], iters: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await session.run(feeds, fetch);
    out.push(performance.now() - t0);
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const torch = new TorchWorker<{ times_ms: number[] }>('torch_worker.py');
const rows: Record<string, unknown>[] = [];
for (const name of values.models!.split(',')) {
  const model = logitsOnly(loadModelFile(`${fixtures}${name}.onnx`));
  const d = differentiate(model, { wrt: ['input'], seeds: ['logits'] });
  const fwd = await nodeBackend.createSession(saveModel(model), { threads });
  const grad = await nodeBackend.createSession(saveModel(d.model), { threads });
  for (const batch of values.batches!.split(',').map(Number)) {
    const size = name === 'inception_v3' ? 299 : 224;
    const x: HostTensor = { type: 'float32', dims: [batch, 3, size, size], data: Float32Array.from(new Random(1).normals(batch * 3 * size * size)) };
    const seed = new Float32Array(batch * 1000);
    for (let b = 0; b < batch; b++) seed[b * 1000 + (b * 37) % 1000] = 1;
    const seedT: HostTensor = { type: 'float32', dims: [batch, 1000], data: seed };
    const iters = batch === 1 ? 10 : 2;
    // warm-up
    await time(fwd, { input: x }, ['logits'], 2);
    await time(grad, { input: x, 'seed:logits': seedT }, ['grad:input'], 2);
    await torch.run({ model: name, batch, iters: 1, threads, mode: 'grad' });
    const t = { forward: [] as number[], gradient: [] as number[], torch: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      t.forward.push(...(await time(fwd, { input: x }, ['logits'], iters)));
      t.gradient.push(...(await time(grad, { input: x, 'seed:logits': seedT }, ['grad:input'], iters)));
      t.torch.push(...(await torch.run({ model: name, batch, iters, threads, mode: 'grad' })).times_ms);
    }
    const row = {
      model: name,
      batch,
      forwardMs: median(t.forward),
      gradientMs: median(t.gradient),
      torchGradientMs: median(t.torch),
      gradientOverForward: median(t.gradient) / median(t.forward),
      gradientOverTorch: median(t.gradient) / median(t.torch),
    };
    rows.push(row);
    console.log(
      `${name.padEnd(14)} batch ${String(batch).padStart(2)}: forward ${row.forwardMs.toFixed(1)} ms, forward+gradient ${row.gradientMs.toFixed(1)} ms, PyTorch ${row.torchGradientMs.toFixed(1)} ms | gradient/forward ${row.gradientOverForward.toFixed(2)}x (target <= 3), gradient/PyTorch ${row.gradientOverTorch.toFixed(2)}x (target <= 0.7)`,
    );
  }
  await fwd.release();
  await grad.release();
}
torch.close();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/gradient.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), threads, rounds, rows }, null, 2));
