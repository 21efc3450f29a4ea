/**
 * `cnnlens evaluate`: compares explanation methods on a dataset with faithfulness metrics — deletion and
 * insertion areas (src/metrics/deletion.ts), Average Drop / Increase in Confidence
 * (src/metrics/confidence.ts) and, for methods that report it, the completeness delta — and writes
 * evaluate.json, evaluate.md (a table) and the mean curves as deletion.png / insertion.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../data/open-dataset.js';
import { CnnlensError, fail } from '../errors.js';
import { preprocess } from '../image/preprocess.js';
import { explain } from '../methods/explain.js';
import { optionSpecs } from '../methods/options.js';
import { methodIds, methods as allMethods } from '../methods/registry.js';
import { confidenceChange, explanationMasked } from '../metrics/confidence.js';
import { perturbationCurve, probabilityScorer } from '../metrics/deletion.js';
import { plotCurves } from '../metrics/plot.js';
import { loadImageModel } from '../model/load-file.js';
import { encodePng } from '../render/png.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';

export function evaluateUsage(): string {
  return `Usage: cnnlens evaluate --data D [--model FILE] [--method IDS] [--out DIR] [--limit N] [--steps N]

Compares explanation methods on the first N pictures of a dataset (each explained for its top class):
  deletion AUC      area under the target probability as the most important pixels are removed (lower is better)
  insertion AUC     area as they are inserted into a blank input (higher is better)
  average drop %    probability lost when the picture is seen only through the map (lower is better)
  increase %        share of pictures whose probability rises seen through the map (higher is better)
  |delta|           mean completeness gap, for methods that report one (IG, DeepLIFT; lower is better)
Writes evaluate.json, evaluate.md and the mean curves deletion.png and insertion.png to DIR.

Options:
  --data D        a folder of images, an idx file, a .txt list of files, or mnist:test, ...
  --model PATH    .onnx, .keras, .h5, or TF.js model.json (default: the built-in model)
  --method IDS    comma-separated methods (default gradcam,saliency): ${methodIds().join(', ')}
  --out DIR       output folder (default ./cnnlens-eval)
  --limit N       pictures to use (default 50)
  --steps N       points of each curve less one (default 32)
  --threads N     ONNX Runtime threads
  --json          print the table as JSON on stdout
  -h, --help      show this help
Method options are those of 'cnnlens explain --help'.
`;
}

interface Row {
  readonly method: string;
  readonly pictures: number;
  readonly deletionAuc: number;
  readonly insertionAuc: number;
  readonly averageDrop: number;
  readonly increase: number;
  readonly meanAbsDelta?: number;
}

const mean = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/** A map over H x W pixels: CAM-like maps as they are; input-shaped maps summed in absolute value over channels. */
function pixelMap(map: HostTensor, pixels: number, layout: 'NCHW' | 'NHWC'): Float32Array {
  const d = map.data as Float32Array;
  if (d.length === pixels) return d;
  const C = d.length / pixels;
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < C; c++) out[p] = out[p]! + Math.abs(d[layout === 'NCHW' ? c * pixels + p : p * C + c]!);
  return out;
}

export async function evaluateCommand(argv: string[], io: CliIO = processIO, deps: { backend?: RuntimeBackend } = {}): Promise<number> {
  const specs = optionSpecs(allMethods());
  const methodFlags = Object.fromEntries([...specs.values()].map((s) => [s.name, { type: s.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { values: o } = parseCommandArgs('evaluate', argv, {
    ...methodFlags,
    data: { type: 'string' }, model: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, limit: { type: 'string' },
    steps: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, false);
  if (o.help) {
    io.out(evaluateUsage());
    return EXIT_OK;
  }
  const data = requireOption('evaluate', 'data', o.data);
  const outDir = o.out ?? 'cnnlens-eval';
  const methods = [...new Set((o.method ?? 'gradcam,saliency').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  for (const m of methods) if (!methodIds().includes(m)) fail('UNKNOWN_METHOD', `unknown method '${m}'. Methods: ${methodIds().join(', ')}.`);
  const int = (name: string, v: string | undefined, dflt: number, max: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) fail('USAGE', `--${name} must be an integer from 1 to ${max}, got '${v}'.`);
    return n;
  };
  const limit = int('limit', o.limit, 50, 1_000_000);
  const steps = int('steps', o.steps, 32, 4096);
  const threads = o.threads === undefined ? undefined : int('threads', o.threads, 1, 1024);
  const given = o as Record<string, string | boolean | undefined>;
  const methodOptions: Record<string, string | boolean> = {};
  for (const name of specs.keys()) if (given[name] !== undefined) methodOptions[name] = given[name]!;

  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const { model, notes } = await loadImageModel(o.model);
  for (const n of notes) io.err(`${n}\n`);
  const dataset = await openDataset(data);
  const count = Math.min(limit, dataset.length);
  const layout = model.input.layout;
  const pixels = model.input.height * model.input.width;
  const run = { backend, ...(threads ? { threads } : {}) };
  const per = new Map(methods.map((m) => [m, { del: [] as Float64Array[], ins: [] as Float64Array[], delAuc: [] as number[], insAuc: [] as number[], y: [] as number[], o: [] as number[], delta: [] as number[] }]));
  let x: Float64Array | undefined;
  const skipped: { item: string; error: string }[] = [];
  for (let i = 0; i < count; i++) {
    let input: HostTensor;
    try {
      input = preprocess([(await dataset.picturesAt([i])).get(i)!.image], model.input);
    } catch (e) {
      if (!(e instanceof CnnlensError)) throw e;
      skipped.push({ item: dataset.itemName(i), error: e.message });
      continue;
    }
    const r = await explain(model, input, { ...run, methods, methodOptions });
    const cls = r.predictions[0]![0]!;
    const score = probabilityScorer(model, cls.index, run);
    for (const res of r.results) {
      const acc = per.get(res.method)!;
      const map = pixelMap(res.map, pixels, layout);
      const del = await perturbationCurve('deletion', input, map, score, { steps, layout });
      const ins = await perturbationCurve('insertion', input, map, score, { steps, layout });
      x = del.x;
      acc.del.push(del.y);
      acc.ins.push(ins.y);
      acc.delAuc.push(del.auc);
      acc.insAuc.push(ins.auc);
      acc.y.push(cls.probability);
      acc.o.push((await score(explanationMasked(input, map, layout)))[0]!);
      const delta = res.extra?.values?.['delta']?.[0];
      if (typeof delta === 'number') acc.delta.push(Math.abs(delta));
    }
    io.err(`${process.stderr.isTTY ? '\r' : ''}evaluate: [${i + 1}/${count}] ${dataset.itemName(i)}${process.stderr.isTTY ? '\x1b[K' : '\n'}`);
  }
  if (process.stderr.isTTY) io.err('\n');
  const rows: Row[] = methods.map((m) => {
    const a = per.get(m)!;
    const c = confidenceChange(a.y, a.o);
    return {
      method: m, pictures: a.delAuc.length, deletionAuc: mean(a.delAuc), insertionAuc: mean(a.insAuc), averageDrop: c.averageDrop, increase: c.increase,
      ...(a.delta.length ? { meanAbsDelta: mean(a.delta) } : {}),
    };
  });
  mkdirSync(outDir, { recursive: true });
  const meanCurve = (curves: Float64Array[]) => Float64Array.from({ length: steps + 1 }, (_, k) => mean(curves.map((c) => c[k]!)));
  const curves = Object.fromEntries(methods.map((m) => [m, { deletion: [...meanCurve(per.get(m)!.del)], insertion: [...meanCurve(per.get(m)!.ins)] }]));
  const report = { model: model.name, data, pictures: count - skipped.length, steps, rows, curves: { x: x ? [...x] : [], ...curves }, skipped };
  await writeFileAtomic(join(outDir, 'evaluate.json'), `${JSON.stringify(report, null, 2)}\n`);
  const f = (v: number | undefined, d = 3) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(d));
  const md = [
    `# Explanation metrics: ${model.name} on ${data} (${report.pictures} pictures)`, '',
    '| method | deletion AUC ↓ | insertion AUC ↑ | average drop % ↓ | increase % ↑ | mean abs delta ↓ |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.method}\` | ${f(r.deletionAuc)} | ${f(r.insertionAuc)} | ${f(r.averageDrop, 1)} | ${f(r.increase, 1)} | ${f(r.meanAbsDelta, 4)} |`),
    '',
  ].join('\n');
  await writeFileAtomic(join(outDir, 'evaluate.md'), md);
  for (const kind of ['deletion', 'insertion'] as const) {
    const png = plotCurves(`${kind} (target probability vs. fraction of pixels)`, methods.map((m) => ({ name: m, x: x ?? [], y: curves[m]![kind] })));
    await writeFileAtomic(join(outDir, `${kind}.png`), encodePng(png));
  }
  for (const s of skipped) io.err(`skipped: ${s.item}: ${s.error}\n`);
  io.err(md);
  io.err(`wrote ${join(outDir, 'evaluate.json')}, evaluate.md, deletion.png, insertion.png\n`);
  if (o.json) io.out(`${JSON.stringify(rows, null, 2)}\n`);
  return EXIT_OK;
}
