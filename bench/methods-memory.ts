/**
 * Peak memory of Integrated Gradients with 50 steps (batch 1, 224x224, 2 threads), cnnlens against
 * PyTorch, each side in a fresh child process:
 *   - node (this file with --child): loads the fixture ONNX as an ImageModel, runs one warm-up
 *     `explain(..., { methods: ['integrated-gradients'] })` (which also compiles the sessions), records
 *     the RSS, resets the kernel's high-water mark (/proc/self/clear_refs, 5), runs the measured IG-50 and
 *     reports process.resourceUsage().maxRSS, which follows the reset;
 *   - /usr/bin/python3 bench/torch_methods_memory.py: the same with bench/torch_methods_worker.py's IG
 *     (all 50 path points in one batch, one backward pass).
 * Both get the same preprocessed photo and the same settings as bench/methods.bench.ts (trapezoid rule,
 * black baseline). Reported per side: the peak during the measured run, its increase over the RSS just
 * before it (ONNX Runtime keeps its arena from the warm-up, PyTorch's allocator returns large blocks) and
 * over the RSS after loading the model, and the lifetime peak through loading and warm-up. Results in bench/results/methods-memory.json.
 *
 * Run: npx tsx bench/methods-memory.ts [--models resnet50,mobilenet_v2] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { preprocess } from '../src/image/preprocess.js';
import { readImageFile } from '../src/image/read-file.js';
import { explain } from '../src/methods/explain.js';
import { imageModel } from '../src/model/image-model.js';
import type { InputSpec } from '../src/model/input-spec.js';
import { loadModelFile } from '../src/onnx/load-file.js';
import { nodeBackend } from '../src/runtime/node-backend.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'mobilenet_v2,resnet50' },
    threads: { type: 'string', default: '2' },
    child: { type: 'string' },
    input: { type: 'string' },
  },
});
const threads = Number(values.threads);
const STEPS = 50;
const SPEC: InputSpec = {
  layout: 'NCHW', height: 224, width: 224, channels: 3, range: [0, 1],
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', source: 'options',
};

function statusKiB(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`no ${key} in /proc/self/status`);
  return Number(m[1]);
}

interface Report {
  side: string;
  model: string;
  ms: number;
  loadedKiB: number;
  warmupPeakKiB: number;
  beforeKiB: number;
  peakKiB: number;
}

async function child(name: string, inputPath: string): Promise<void> {
  const m = loadModelFile(new URL(`../test/fixtures/torch/${name}.onnx`, import.meta.url).pathname);
  const onnx = { ...m, graph: { ...m.graph, outputs: m.graph.outputs.filter((o) => o.name === 'logits') } };
  const model = imageModel(onnx, { name, source: `test/fixtures/torch/${name}.onnx`, input: SPEC });
  const bytes = readFileSync(inputPath);
  const input = { type: 'float32' as const, dims: [1, 3, 224, 224], data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  const options = { backend: nodeBackend, threads, methods: ['integrated-gradients'], methodOptions: { 'ig-steps': STEPS, 'ig-rule': 'riemann-trapezoid', baseline: 'black' } };
  const loadedKiB = statusKiB('VmRSS');
  await explain(model, input, options);
  const warmupPeakKiB = process.resourceUsage().maxRSS;
  const beforeKiB = statusKiB('VmRSS');
  writeFileSync('/proc/self/clear_refs', '5');
  const t0 = performance.now();
  await explain(model, input, options);
  const ms = performance.now() - t0;
  const peakKiB = process.resourceUsage().maxRSS;
  console.log(JSON.stringify({ side: 'cnnlens', model: name, steps: STEPS, ms, loadedKiB, warmupPeakKiB, beforeKiB, peakKiB, vmHwmKiB: statusKiB('VmHWM') }));
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Report {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Report;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-methods-memory-'));
  const inputPath = join(dir, 'input.f32');
  const x = preprocess([await readImageFile(new URL('../examples/images/chelsea.png', import.meta.url).pathname)], SPEC);
  writeFileSync(inputPath, new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
  const self = new URL(import.meta.url).pathname;
  const rows: Record<string, unknown>[] = [];
  const mib = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
  try {
    for (const name of values.models!.split(',')) {
      const ours = run(process.execPath, ['--import', 'tsx', self, '--child', name, '--input', inputPath, '--threads', String(threads)]);
      const theirs = run('/usr/bin/python3', [new URL('./torch_methods_memory.py', import.meta.url).pathname, '--model', name, '--input', inputPath, '--threads', String(threads), '--steps', String(STEPS)], { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' });
      for (const r of [ours, theirs]) {
        const row = { ...r, increaseKiB: r.peakKiB - r.beforeKiB, overLoadedKiB: r.peakKiB - r.loadedKiB };
        rows.push(row);
        console.log(`${name.padEnd(13)} ${r.side.padEnd(8)} IG-50 ${r.ms.toFixed(0).padStart(6)} ms | peak ${mib(r.peakKiB).padStart(9)}, +${mib(row.increaseKiB)} over the ${mib(r.beforeKiB)} before the run | +${mib(row.overLoadedKiB)} over the ${mib(r.loadedKiB)} after loading; peak through warm-up ${mib(r.warmupPeakKiB)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/methods-memory.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), threads, steps: STEPS, rows }, null, 2));
}

if (values.child) await child(values.child, values.input!);
else await main();
