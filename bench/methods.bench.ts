/**
 * Speed of the explanation methods against straightforward PyTorch implementations of the same
 * computation on the same weights, side by side in one run:
 *   - cnnlens: `explain(model, x, { methods: [m], ... })` on the fixture ONNX (logits only) wrapped as an
 *     ImageModel (NCHW 3x224x224, range [0, 1], ImageNet mean/std), the bundled photo chelsea.png,
 *     batch 1, sessions warm (the first call, which compiles them, is not timed);
 *   - PyTorch: bench/torch_methods_worker.py (persistent; torchvision models of scripts/torch_models.py
 *     with the fixture weights), fed the very tensor cnnlens explains, batched the way a careful user
 *     would: IG's path in one batch, SmoothGrad's noisy copies in one batch, occlusion windows 16 per
 *     forward, Score-CAM masks 32 per forward.
 * Both start from the preprocessed input and end with the finished map, and both run their own forward
 * pass of the input (the class explained is the top class). Interleaved round by round (the side that
 * goes first alternates), medians reported; results in bench/results/methods.json. Methods not in the
 * registry yet are skipped with a line saying so.
 *
 * Run: bash scripts/bench.sh methods
 *   or npx tsx bench/methods.bench.ts [--rounds R] [--models a,b] [--methods m1,m2] [--threads T]
 *                                     [--budget-s S] [--min-rounds N] [--torch-spin]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { preprocess } from '../src/image/preprocess.js';
import { readImageFile } from '../src/image/read-file.js';
import { explain, type ExplainResult } from '../src/methods/explain.js';
import { getMethod, methodIds } from '../src/methods/registry.js';
import { imageModel, type ImageModel } from '../src/model/image-model.js';
import type { InputSpec } from '../src/model/input-spec.js';
import { resolveLayer } from '../src/model/layers.js';
import type { Model } from '../src/onnx/ir.js';
import { loadModelFile } from '../src/onnx/load-file.js';
import { nodeBackend } from '../src/runtime/node-backend.js';
import { pearson } from '../src/metrics/similarity.js';
import { TorchWorker } from './torch-worker.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    models: { type: 'string', default: 'mobilenet_v2,resnet50' },
    methods: { type: 'string', default: 'gradcam,saliency,integrated-gradients,smoothgrad,occlusion,scorecam' },
    threads: { type: 'string', default: '2' },
    // per model and method: fewer rounds (at least --min-rounds) when R rounds would take longer than this
    'budget-s': { type: 'string', default: '150' },
    'min-rounds': { type: 'string', default: '3' },
    // PyTorch with libgomp's default (spinning) wait policy instead of OMP_WAIT_POLICY=PASSIVE
    'torch-spin': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const budgetMs = Number(values['budget-s']) * 1000;
const minRounds = Number(values['min-rounds']);
/** a warm-up run longer than this (ms) is not repeated before timing */
const LONG_MS = 15000;
const fixtures = new URL('../test/fixtures/torch/', import.meta.url).pathname;

/** The issue's targets: cnnlens time / PyTorch time. */
const TARGET: Record<string, number> = { gradcam: 1.0, saliency: 0.7, 'integrated-gradients': 0.5, smoothgrad: 0.5, occlusion: 0.5, scorecam: 0.5 };
const LABEL: Record<string, string> = { gradcam: 'Grad-CAM', saliency: 'saliency', 'integrated-gradients': 'IG, 50 steps', smoothgrad: 'SmoothGrad, 25 samples', occlusion: 'occlusion 32/16', scorecam: 'Score-CAM, all channels' };
const MODEL_LABEL: Record<string, string> = { mobilenet_v2: 'MobileNetV2', resnet50: 'ResNet50' };

/** The same computation on both sides: cnnlens method options, and the worker's parameters. */
function settings(method: string): { cnnlens: Record<string, unknown>; torch: Record<string, unknown> } {
  switch (method) {
    case 'integrated-gradients':
      return { cnnlens: { 'ig-steps': 50, 'ig-rule': 'riemann-trapezoid', baseline: 'black' }, torch: { steps: 50 } };
    case 'smoothgrad':
      return { cnnlens: { samples: 25, noise: 0.15, 'smooth-base': 'gradient' }, torch: { samples: 25, noise: 0.15 } };
    case 'occlusion':
      return { cnnlens: { window: 32, stride: 16, fill: 'grey' }, torch: { window: 32, stride: 16, chunk: 16 } };
    case 'scorecam':
      return { cnnlens: allChannels(method), torch: { chunk: 32 } };
    default:
      return { cnnlens: {}, torch: {} };
  }
}

/** Score-CAM over every channel (`--scorecam-top 0`, when the method declares that option). */
function allChannels(method: string): Record<string, unknown> {
  return getMethod(method).options?.some((o) => o.name === 'scorecam-top') ? { 'scorecam-top': 0 } : {};
}

const SPEC: InputSpec = {
  layout: 'NCHW', height: 224, width: 224, channels: 3, range: [0, 1],
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', source: 'options',
};

/** The fixture with only its logits output (the fixtures also expose an intermediate feature map). */
function fixtureModel(name: string): ImageModel {
  const m: Model = loadModelFile(`${fixtures}${name}.onnx`);
  const onnx = { ...m, graph: { ...m.graph, outputs: m.graph.outputs.filter((o) => o.name === 'logits') } };
  return imageModel(onnx, { name, source: `test/fixtures/torch/${name}.onnx`, input: SPEC });
}

interface TorchReply {
  times_ms: number[];
  target: number;
  map_shape: number[];
  error?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** max |a - b| / max |b| */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den > 0 ? num / den : num;
}

const dir = mkdtempSync(join(tmpdir(), 'cnnlens-methods-bench-'));
const image = await readImageFile(new URL('../examples/images/chelsea.png', import.meta.url).pathname);
const input = preprocess([image], SPEC);
const inputPath = join(dir, 'input.f32');
writeFileSync(inputPath, new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength));

const loadStart = loadavg();
const torch = new TorchWorker<TorchReply>('torch_methods_worker.py', { ...process.env, ...(values['torch-spin'] ? {} : { OMP_WAIT_POLICY: 'PASSIVE' }) });
const registered = new Set(methodIds());
const wanted = values.methods!.split(',');
const skipped = wanted.filter((m) => !registered.has(m));
for (const m of skipped) console.log(`skipped ${m}: not registered in src/methods/registry.ts yet`);
const rows: Record<string, unknown>[] = [];
try {
  for (const name of values.models!.split(',')) {
    const model = fixtureModel(name);
    const layer = resolveLayer(model);
    console.log(`${name}: CAM layer ${layer.tensor} [${layer.shape.slice(1).join('x')}]`);
    for (const method of wanted.filter((m) => registered.has(m))) {
      const s = settings(method);
      const options = { backend: nodeBackend, threads, methods: [method], methodOptions: s.cnnlens };
      const runCnnlens = async (): Promise<{ ms: number; r: ExplainResult }> => {
        const t0 = performance.now();
        const r = await explain(model, input, options);
        return { ms: performance.now() - t0, r };
      };
      // warm-up (not timed): the first run compiles cnnlens's sessions; a second run of each side sizes
      // the rounds, unless the first already took longer than LONG_MS (then it is the estimate)
      const first = await runCnnlens();
      const est = first.ms > LONG_MS ? first : await runCnnlens();
      const mapPath = join(dir, `${name}.${method}.f32`);
      const torchReq = { model: name, method, input: inputPath, threads, options: s.torch };
      const firstT = await torch.run({ ...torchReq, iters: 1, save: mapPath });
      const warm = firstT.times_ms[0]! > LONG_MS ? firstT : await torch.run({ ...torchReq, iters: 1 });
      const ours = est.r.results[0]!;
      const target = est.r.targets[0]!.index;
      if (warm.target !== target) console.log(`  warning: ${name} ${method}: cnnlens explains class ${target}, PyTorch ${warm.target}`);
      const theirs = new Float32Array(readFileSync(mapPath).buffer.slice(0));
      const agreement = { correlation: pearson(ours.map.data as Float32Array, theirs), relError: relError(ours.map.data as Float32Array, theirs) };
      const itC = Math.max(1, Math.min(10, Math.round(500 / est.ms)));
      const itT = Math.max(1, Math.min(10, Math.round(500 / warm.times_ms[0]!)));
      const perRound = est.ms * itC + warm.times_ms[0]! * itT;
      const R = Math.max(Math.min(minRounds, rounds), Math.min(rounds, Math.floor(budgetMs / perRound)));
      const t = { cnnlens: [] as number[], torch: [] as number[] };
      const doCnnlens = async () => {
        for (let i = 0; i < itC; i++) t.cnnlens.push((await runCnnlens()).ms);
      };
      const doTorch = async () => t.torch.push(...(await torch.run({ ...torchReq, iters: itT })).times_ms);
      for (let r = 0; r < R; r++) {
        if (r % 2 === 0) {
          await doCnnlens();
          await doTorch();
        } else {
          await doTorch();
          await doCnnlens();
        }
      }
      const row = {
        model: name,
        method,
        cnnlensOptions: s.cnnlens,
        torchOptions: s.torch,
        layer: getMethod(method).needsLayer ? layer.tensor : undefined,
        rounds: R,
        samples: { cnnlens: t.cnnlens.length, torch: t.torch.length },
        cnnlensMs: median(t.cnnlens),
        torchMs: median(t.torch),
        ratio: median(t.cnnlens) / median(t.torch),
        target: TARGET[method],
        met: median(t.cnnlens) / median(t.torch) <= (TARGET[method] ?? Infinity),
        cnnlensRangeMs: [Math.min(...t.cnnlens), Math.max(...t.cnnlens)],
        torchRangeMs: [Math.min(...t.torch), Math.max(...t.torch)],
        agreement,
      };
      rows.push(row);
      save(); // after every row, so a long run interrupted still leaves its results
      console.log(
        `${name.padEnd(13)} ${method.padEnd(21)} cnnlens ${row.cnnlensMs.toFixed(1).padStart(8)} ms, PyTorch ${row.torchMs.toFixed(1).padStart(8)} ms | ${row.ratio.toFixed(2)}x (target <= ${row.target}) ${row.met ? 'ok' : 'NOT MET'} | map corr ${agreement.correlation.toFixed(4)}, rel err ${agreement.relError.toExponential(1)} | ${R} rounds`,
      );
    }
  }
} finally {
  torch.close();
  rmSync(dir, { recursive: true, force: true });
}

// the table for bench/README.md
console.log('\n| model | method | cnnlens | PyTorch | cnnlens / PyTorch | target |');
console.log('|---|---|---|---|---|---|');
for (const r of rows as { model: string; method: string; cnnlensMs: number; torchMs: number; ratio: number; target: number; met: boolean }[]) {
  const ratio = `${r.ratio.toFixed(2)}×`;
  console.log(`| ${MODEL_LABEL[r.model] ?? r.model} | ${LABEL[r.method] ?? r.method} | ${r.cnnlensMs.toFixed(1)} ms | ${r.torchMs.toFixed(1)} ms | ${r.met ? ratio : `**${ratio}**`} | ≤ ${r.target.toFixed(1)}× |`);
}
for (const m of skipped) console.log(`(${m}: not registered, not measured)`);
save();

function save(): void {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/methods.json', import.meta.url),
    JSON.stringify({ date: new Date().toISOString(), threads, rounds, torchWaitPolicy: values['torch-spin'] ? 'libgomp default' : 'PASSIVE', loadAverage: { start: loadStart, end: loadavg() }, skipped, rows }, null, 2),
  );
}
