/**
 * Feature visualization speed against a straightforward PyTorch loop (bench/torch_featurevis.py):
 * a channel of MobileNetV2's features[14] output (the 'feature' tensor of the fixture ONNX, [N, 160, 7, 7])
 * visualized at 224x224, batch 4, with cnnlens's defaults on both sides (Fourier + decorrelated colour +
 * sigmoid, Lucid's standard transforms, Adam at 0.05). Same weights (scripts/torch_models.py, exported by
 * scripts/torch-fixtures.sh), same threads, runs interleaved round by round (alternating which side goes
 * first), medians reported. Also timed alone: the ONNX Runtime call of the compiled objective + gradient
 * graph (what a step costs without any TypeScript around it), and, with --profile, each TypeScript phase
 * of a step.
 *
 * Run: npx tsx bench/featurevis.bench.ts [--steps 512] [--rounds 3] [--batch 4] [--channel 7] [--threads 2] [--profile]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fromModelGradient, toModelInput } from '../src/featurevis/image-batch.js';
import { channel } from '../src/featurevis/objectives.js';
import { adam } from '../src/featurevis/optimizer.js';
import { ImageParam } from '../src/featurevis/parametrizations/image.js';
import { objectivePlan } from '../src/featurevis/plan.js';
import { compose, fitTo, standardTransforms } from '../src/featurevis/transforms.js';
import { visualize } from '../src/featurevis/visualize.js';
import { imageModel, type ImageModel } from '../src/model/image-model.js';
import type { InputSpec } from '../src/model/input-spec.js';
import { loadModelFile } from '../src/onnx/load-file.js';
import { nodeBackend } from '../src/runtime/node-backend.js';
import { Random } from '../src/util/random.js';
import { TorchWorker } from './torch-worker.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '512' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '4' },
    channel: { type: 'string', default: '7' },
    threads: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    'torch-spin': { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const batch = Number(values.batch);
const ch = Number(values.channel);
const threads = Number(values.threads);
const LAYER = 'feature';
const fixtures = new URL('../test/fixtures/torch/', import.meta.url).pathname;

const SPEC: InputSpec = {
  layout: 'NCHW', height: 224, width: 224, channels: 3, range: [0, 1],
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', source: 'options',
};

function fixtureModel(name: string): ImageModel {
  const m = loadModelFile(`${fixtures}${name}.onnx`);
  return imageModel(m, { name, source: `test/fixtures/torch/${name}.onnx`, input: SPEC });
}

interface TorchReply {
  total_ms: number;
  step_ms: number[];
  start: number[];
  end: number[];
  error?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const model = fixtureModel('mobilenet_v2');
const objective = channel(LAYER, ch);
const plan = await objectivePlan(model, objective, { backend: nodeBackend, batch, threads });

/** One whole visualize() call: start image evaluated, `steps` steps, final image evaluated. */
async function cnnlens(seed: number): Promise<{ totalMs: number; stepMs: number[]; start: readonly number[]; end: readonly number[] }> {
  const stepMs: number[] = [];
  let last = performance.now();
  const t0 = performance.now();
  const r = await visualize(model, {
    backend: nodeBackend, threads, objective, batch, steps, seed,
    onProgress: () => {
      const now = performance.now();
      stepMs.push(now - last);
      last = now;
    },
  });
  // the first entry also holds the start image's evaluation: leave it out of the per-step median
  return { totalMs: performance.now() - t0, stepMs: stepMs.slice(1), start: r.start, end: r.end };
}

/** The ONNX Runtime call alone, `count` times on one fixed input. */
async function ortOnly(count: number): Promise<number[]> {
  const x = toModelInput({ n: batch, c: 3, h: 224, w: 224, data: Float32Array.from(new Random(3).uniforms(batch * 3 * 224 * 224, 0.3, 0.7)) }, SPEC);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await plan.run(x);
    out.push(performance.now() - t0);
  }
  return out;
}

/** visualize()'s step, phase by phase (the same calls in the same order). */
async function profile(count: number): Promise<Record<string, { wallMs: number; cpuMs: number }>> {
  const rng = new Random(0);
  const param = new ImageParam({ n: batch, c: 3, h: 224, w: 224, rng });
  const transforms = [...standardTransforms(224), fitTo(224, 224)];
  const opt = adam({ lr: 0.05 });
  const phases: Record<string, number[]> = { render: [], transforms: [], toModelInput: [], ort: [], fromModelGradient: [], 'transforms backward': [], 'param backward': [], adam: [] };
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(phases).map((k) => [k, []]));
  for (let s = 0; s < count; s++) {
    let t = performance.now();
    let c = process.cpuUsage();
    const lap = (name: string) => {
      const now = performance.now();
      const d = process.cpuUsage(c);
      phases[name]!.push(now - t);
      cpu[name]!.push((d.user + d.system) / 1000);
      t = now;
      c = process.cpuUsage();
    };
    const image = param.render(); lap('render');
    const applied = compose(transforms, image, rng); lap('transforms');
    const input = toModelInput(applied.out, SPEC); lap('toModelInput');
    const { gradient } = await plan.run(input); lap('ort');
    const g = fromModelGradient(gradient, SPEC); lap('fromModelGradient');
    const gi = applied.backward(g); lap('transforms backward');
    const gp = param.backward(gi); lap('param backward');
    opt.step(param.params, gp); lap('adam');
  }
  // wall time, and CPU time of the whole process (all ONNX Runtime threads included) per phase
  return Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, { wallMs: median(v), cpuMs: median(cpu[k]!) }]));
}

// warm-up: compile the session, JIT the TypeScript, load the PyTorch model
const torch = new TorchWorker<TorchReply>('torch_featurevis.py', { ...process.env, ...(values['torch-spin'] ? {} : { OMP_WAIT_POLICY: 'PASSIVE' }) });
const warm = Math.min(steps, 4);
await visualize(model, { backend: nodeBackend, threads, objective, batch, steps: warm, seed: 99 });
await torch.run({ model: 'mobilenet_v2', batch, steps: warm, channel: ch, threads, seed: 99 });
await ortOnly(2);

const t = { cnnlens: [] as number[], torch: [] as number[], ort: [] as number[], cnnlensStep: [] as number[], torchStep: [] as number[] };
let check: { cnnlens: { start: readonly number[]; end: readonly number[] }; torch: { start: number[]; end: number[] } } | undefined;
for (let r = 0; r < rounds; r++) {
  const sides = r % 2 === 0 ? ['cnnlens', 'torch'] : ['torch', 'cnnlens'];
  for (const side of sides) {
    if (side === 'cnnlens') {
      const c = await cnnlens(r);
      t.cnnlens.push(c.totalMs);
      t.cnnlensStep.push(median(c.stepMs));
      check = { ...(check ?? { torch: { start: [], end: [] } }), cnnlens: { start: c.start, end: c.end } };
    } else {
      const p = await torch.run({ model: 'mobilenet_v2', batch, steps, channel: ch, threads, seed: r });
      t.torch.push(p.total_ms);
      t.torchStep.push(median(p.step_ms));
      check = { ...(check ?? { cnnlens: { start: [], end: [] } }), torch: { start: p.start, end: p.end } };
    }
  }
  t.ort.push(median(await ortOnly(Math.min(steps, 16))));
  console.log(`round ${r + 1}/${rounds}: cnnlens ${t.cnnlens.at(-1)!.toFixed(0)} ms, PyTorch ${t.torch.at(-1)!.toFixed(0)} ms for ${steps} steps`);
}
torch.close();

const row = {
  model: 'mobilenet_v2 (torchvision, fixed random weights)',
  objective: `channel(features[14] output, ${ch})`,
  batch,
  steps,
  cnnlensMs: median(t.cnnlens),
  torchMs: median(t.torch),
  cnnlensStepMs: median(t.cnnlens) / steps,
  torchStepMs: median(t.torch) / steps,
  cnnlensMedianStepMs: median(t.cnnlensStep),
  torchMedianStepMs: median(t.torchStep),
  ortCallMs: median(t.ort),
  ratio: median(t.cnnlens) / median(t.torch),
  runs: t,
  objectiveValues: check,
};
console.log(
  `${steps} steps, batch ${batch}: cnnlens ${row.cnnlensMs.toFixed(0)} ms (${row.cnnlensStepMs.toFixed(1)} ms/step; ORT call alone ${row.ortCallMs.toFixed(1)} ms), ` +
  `PyTorch ${row.torchMs.toFixed(0)} ms (${row.torchStepMs.toFixed(1)} ms/step) | cnnlens/PyTorch ${row.ratio.toFixed(2)}x (target <= 0.7)`,
);
let phases: Record<string, { wallMs: number; cpuMs: number }> | undefined;
if (values.profile) {
  phases = await profile(Math.min(steps, 32));
  console.log('median per step phase, wall / process CPU ms:', Object.entries(phases).map(([k, v]) => `${k} ${v.wallMs.toFixed(1)} / ${v.cpuMs.toFixed(1)}`).join(', '));
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
// one entry per (steps, batch): a run replaces the entry of its own configuration and keeps the others
const file = new URL('./results/featurevis.json', import.meta.url);
let previous: Record<string, unknown>[] = [];
try {
  const old = JSON.parse(readFileSync(file, 'utf8')) as { rows?: Record<string, unknown>[] } & Record<string, unknown>;
  previous = old.rows ?? (old.steps !== undefined ? [old] : []);
} catch { /* no earlier results */ }
const entry = { date: new Date().toISOString(), threads, rounds, ...row, ...(phases ? { phasesMs: phases } : {}) };
const rows = [...previous.filter((r) => !(r.steps === steps && r.batch === batch)), entry].sort((a, b) => Number(a.steps) - Number(b.steps));
writeFileSync(file, JSON.stringify({ rows }, null, 2));
