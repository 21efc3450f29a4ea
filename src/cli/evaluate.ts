/**
 * `cnnlens evaluate`: compares explanation methods on a dataset with faithfulness metrics — deletion and
 * insertion areas (src/metrics/deletion.ts), Average Drop / Increase in Confidence
 * (src/metrics/confidence.ts), infidelity (src/metrics/infidelity.ts), max-sensitivity
 * (src/metrics/sensitivity.ts) and, for methods that report it, the completeness delta — and writes
 * evaluate.json, evaluate.md (a table) and the mean curves as deletion.png / insertion.png. With
 * --randomization, also the cascading randomization check (evaluate-randomization.ts) and its figure.
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
import { infidelity, targetScorer } from '../metrics/infidelity.js';
import { channelRanges } from '../metrics/input-range.js';
import { maxSensitivity } from '../metrics/sensitivity.js';
import { plotCurves } from '../metrics/plot.js';
import { loadImageModel } from '../model/load-file.js';
import { encodePng } from '../render/png.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import type { RgbImage } from '../image/types.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';
import { runRandomization, type RandomizationReport } from './evaluate-randomization.js';

export function evaluateUsage(): string {
  return `Usage: cnnlens evaluate --data D [--model FILE] [--method IDS] [--out DIR] [--limit N] [--steps N] [--randomization]

Compares explanation methods on the first N pictures of a dataset (each explained for its top class):
  deletion AUC      area under the target probability as the most important pixels are removed (lower is better)
  insertion AUC     area as they are inserted into a blank input (higher is better)
  average drop %    probability lost when the picture is seen only through the map (lower is better)
  increase %        share of pictures whose probability rises seen through the map (higher is better)
  infidelity        E[(I'map - (f(x) - f(x - I)))^2] over Gaussian perturbations I, f the target logit,
                    the map scaled by its optimal factor beta (Yeh et al. 2019; lower is better)
  max-sensitivity   max over points y near x of |map(y) - map(x)| / |map(x)| (Frobenius; lower is better)
  |delta|           mean completeness gap, for methods that report one (IG, DeepLIFT; lower is better)
Writes evaluate.json, evaluate.md and the mean curves deletion.png and insertion.png to DIR.
With --randomization, the cascading randomization sanity check (Adebayo et al. 2018) per method: rank
correlation and SSIM to the original map as the weights are re-initialized from the top layer down,
the figure randomization.png, and a flag for methods whose maps barely change.

Options:
  --data D        a folder of images, an idx file, a .txt list of files, or mnist:test, ...
  --model PATH    .onnx, .keras, .h5, or TF.js model.json (default: the built-in model)
  --method IDS    comma-separated methods (default gradcam,saliency): ${methodIds().join(', ')}
  --out DIR       output folder (default ./cnnlens-eval)
  --limit N       pictures to use (default 50)
  --steps N       points of each curve less one (default 32)
  --infidelity-samples N   perturbations per picture (default 32; 0 skips infidelity)
  --infidelity-sigma F     their standard deviation, a fraction of the input's range (default 0.1)
  --infidelity-raw         show the unnormalized infidelity in the table (both are in the JSON)
  --sensitivity-samples N  points per picture, each a new explanation (default 8; 0 skips it)
  --sensitivity-radius F   the L-infinity ball's radius, a fraction of the input's range (default 0.02)
  --seed N        seed of the perturbations (picture i uses N + i) and of the randomization (default 0)
  --randomization            run the cascading randomization check
  --randomization-images K   on the first K pictures (default 1)
  --randomization-depths N   at most N depths, spread over the layers (default: every layer)
  --randomization-threshold F  flag methods whose rank correlation stays above F (default 0.5)
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
  /** mean β-normalized infidelity (absent with --infidelity-samples 0) */
  readonly infidelity?: number;
  /** mean unnormalized infidelity */
  readonly infidelityRaw?: number;
  readonly maxSensitivity?: number;
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
    'infidelity-samples': { type: 'string' }, 'infidelity-sigma': { type: 'string' }, 'infidelity-raw': { type: 'boolean' },
    'sensitivity-samples': { type: 'string' }, 'sensitivity-radius': { type: 'string' }, seed: { type: 'string' },
    randomization: { type: 'boolean' }, 'randomization-images': { type: 'string' }, 'randomization-depths': { type: 'string' }, 'randomization-threshold': { type: 'string' },
  }, false);
  if (o.help) {
    io.out(evaluateUsage());
    return EXIT_OK;
  }
  const data = requireOption('evaluate', 'data', o.data);
  const outDir = o.out ?? 'cnnlens-eval';
  const methods = [...new Set((o.method ?? 'gradcam,saliency').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  for (const m of methods) if (!methodIds().includes(m)) fail('UNKNOWN_METHOD', `unknown method '${m}'. Methods: ${methodIds().join(', ')}.`);
  const int = (name: string, v: string | undefined, dflt: number, max: number, min = 1): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) fail('USAGE', `--${name} must be an integer from ${min} to ${max}, got '${v}'.`);
    return n;
  };
  const real = (name: string, v: string | undefined, dflt: number, lo: number, hi: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (v.trim() === '' || !(n > lo && n <= hi)) fail('USAGE', `--${name} must be a number in (${lo}, ${hi}], got '${v}'.`);
    return n;
  };
  const limit = int('limit', o.limit, 50, 1_000_000);
  const steps = int('steps', o.steps, 32, 4096);
  const threads = o.threads === undefined ? undefined : int('threads', o.threads, 1, 1024);
  const seed = int('seed', o.seed, 0, 2 ** 31, 0);
  const infd = { samples: int('infidelity-samples', o['infidelity-samples'], 32, 100_000, 0), sigma: real('infidelity-sigma', o['infidelity-sigma'], 0.1, 0, 10), normalize: !o['infidelity-raw'] };
  const sens = { samples: int('sensitivity-samples', o['sensitivity-samples'], 8, 10_000, 0), radius: real('sensitivity-radius', o['sensitivity-radius'], 0.02, 0, 10) };
  const randomization = o.randomization
    ? {
      images: int('randomization-images', o['randomization-images'], 1, 10_000),
      threshold: real('randomization-threshold', o['randomization-threshold'], 0.5, -1, 1),
      seed,
      ...(o['randomization-depths'] !== undefined ? { maxDepths: int('randomization-depths', o['randomization-depths'], 1, 10_000) } : {}),
    }
    : undefined;
  for (const k of ['randomization-images', 'randomization-depths', 'randomization-threshold'] as const) {
    if (!o.randomization && o[k] !== undefined) fail('USAGE', `--${k} is an option of --randomization; add --randomization.`);
  }
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
  const ranges = channelRanges(model.input);
  const per = new Map(methods.map((m) => [m, {
    del: [] as Float64Array[], ins: [] as Float64Array[], delAuc: [] as number[], insAuc: [] as number[], y: [] as number[], o: [] as number[], delta: [] as number[],
    infd: [] as number[], infdRaw: [] as number[], sens: [] as number[],
  }]));
  const firstInputs: { name: string; input: HostTensor }[] = [];
  // E[Δf²] per picture: the infidelity of an all-zero map (the same perturbations for every method)
  const zeroMap: number[] = [];
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
    if (randomization && firstInputs.length < randomization.images) firstInputs.push({ name: dataset.itemName(i), input });
    const r = await explain(model, input, { ...run, methods, methodOptions });
    const cls = r.predictions[0]![0]!;
    const score = probabilityScorer(model, cls.index, run);
    const logit = targetScorer(model, r.targets[0]!, run);
    const sensitivity = sens.samples > 0 ? await maxSensitivity(model, input, methods, { ...run, methodOptions, reference: r, samples: sens.samples, radius: sens.radius, ranges, seed: seed + i }) : [];
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
      if (infd.samples > 0) {
        const v = await infidelity(input, res.map.data as Float32Array, logit, { samples: infd.samples, sigma: infd.sigma, ranges, seed: seed + i, layout, normalize: infd.normalize });
        acc.infd.push(v.normalized);
        acc.infdRaw.push(v.raw);
        if (res === r.results[0]) zeroMap.push(v.meanSquaredChange);
      }
      const s = sensitivity.find((q) => q.method === res.method);
      if (s) acc.sens.push(s.maxSensitivity);
    }
    io.err(`${process.stderr.isTTY ? '\r' : ''}evaluate: [${i + 1}/${count}] ${dataset.itemName(i)}${process.stderr.isTTY ? '\x1b[K' : '\n'}`);
  }
  if (process.stderr.isTTY) io.err('\n');
  const rows: Row[] = methods.map((m) => {
    const a = per.get(m)!;
    const c = confidenceChange(a.y, a.o);
    return {
      method: m, pictures: a.delAuc.length, deletionAuc: mean(a.delAuc), insertionAuc: mean(a.insAuc), averageDrop: c.averageDrop, increase: c.increase,
      ...(a.infd.length ? { infidelity: mean(a.infd), infidelityRaw: mean(a.infdRaw) } : {}),
      ...(a.sens.length ? { maxSensitivity: mean(a.sens) } : {}),
      ...(a.delta.length ? { meanAbsDelta: mean(a.delta) } : {}),
    };
  });
  let sanity: { report: RandomizationReport; figure: RgbImage | undefined; markdown: string } | undefined;
  if (randomization) {
    io.err(`evaluate: cascading randomization on ${firstInputs.length} picture${firstInputs.length === 1 ? '' : 's'}\n`);
    sanity = await runRandomization(model, firstInputs, methods, methodOptions, run, randomization);
  }
  mkdirSync(outDir, { recursive: true });
  const meanCurve = (curves: Float64Array[]) => Float64Array.from({ length: steps + 1 }, (_, k) => mean(curves.map((c) => c[k]!)));
  const curves = Object.fromEntries(methods.map((m) => [m, { deletion: [...meanCurve(per.get(m)!.del)], insertion: [...meanCurve(per.get(m)!.ins)] }]));
  const settings = {
    infidelity: infd.samples > 0 ? { samples: infd.samples, sigma: infd.sigma, perturbation: 'Gaussian, standard deviation sigma x each channel\'s pixel range in model units', score: 'target logit', shown: infd.normalize ? 'beta-normalized' : 'raw', seed } : null,
    maxSensitivity: sens.samples > 0 ? { samples: sens.samples, radius: sens.radius, ball: 'L-infinity, radius x each channel\'s pixel range in model units', norm: 'Frobenius', normalizedBy: '|map(x)|', seed } : null,
  };
  const report = {
    model: model.name, data, pictures: count - skipped.length, steps, settings, rows,
    ...(zeroMap.length ? { infidelityOfZeroMap: mean(zeroMap) } : {}), curves: { x: x ? [...x] : [], ...curves }, skipped,
    ...(sanity ? { randomization: { ...sanity.report, figure: sanity.figure ? 'randomization.png' : null } } : {}),
  };
  await writeFileAtomic(join(outDir, 'evaluate.json'), `${JSON.stringify(report, null, 2)}\n`);
  const f = (v: number | undefined, d = 3) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(d));
  const g = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : v.toPrecision(3));
  const infdHead = infd.normalize ? 'infidelity (β-scaled) ↓' : 'infidelity (raw) ↓';
  const md = [
    `# Explanation metrics: ${model.name} on ${data} (${report.pictures} pictures)`, '',
    `| method | deletion AUC ↓ | insertion AUC ↑ | average drop % ↓ | increase % ↑ | ${infdHead} | max-sensitivity ↓ | mean abs delta ↓ |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.method}\` | ${f(r.deletionAuc)} | ${f(r.insertionAuc)} | ${f(r.averageDrop, 1)} | ${f(r.increase, 1)} | ${g(infd.normalize ? r.infidelity : r.infidelityRaw)} | ${g(r.maxSensitivity)} | ${f(r.meanAbsDelta, 4)} |`),
    '',
    infd.samples > 0
      ? `Infidelity: ${infd.samples} Gaussian perturbations per picture, σ = ${infd.sigma} of the input range, f = the target logit; ${infd.normalize ? 'the map scaled by its optimal β (Captum normalize=True)' : 'unnormalized (Captum normalize=False)'}. An all-zero map scores E[Δf²] = ${g(mean(zeroMap))}.`
      : 'Infidelity: skipped (--infidelity-samples 0).',
    sens.samples > 0
      ? `Max-sensitivity: ${sens.samples} points per picture, uniform in the L∞ ball of radius ${sens.radius} of the input range; Frobenius norm, divided by |map(x)|.`
      : 'Max-sensitivity: skipped (--sensitivity-samples 0).',
    `Seed ${seed} (picture i uses ${seed} + i).`,
    '',
    ...(sanity ? [sanity.markdown] : []),
  ].join('\n');
  await writeFileAtomic(join(outDir, 'evaluate.md'), md);
  for (const kind of ['deletion', 'insertion'] as const) {
    const png = plotCurves(`${kind} (target probability vs. fraction of pixels)`, methods.map((m) => ({ name: m, x: x ?? [], y: curves[m]![kind] })));
    await writeFileAtomic(join(outDir, `${kind}.png`), encodePng(png));
  }
  if (sanity?.figure) await writeFileAtomic(join(outDir, 'randomization.png'), encodePng(sanity.figure));
  for (const s of skipped) io.err(`skipped: ${s.item}: ${s.error}\n`);
  io.err(md);
  for (const m of sanity?.report.methods ?? []) {
    if (m.flagged) io.err(`warning: ${m.method} fails the randomization check: its maps keep a rank correlation of ${m.depths.at(-1)!.rankCorrelation.toFixed(2)} > ${sanity!.report.threshold} with the original after every layer is randomized; they depend little on what the model learned.\n`);
  }
  io.err(`wrote ${join(outDir, 'evaluate.json')}, evaluate.md, deletion.png, insertion.png${sanity?.figure ? ', randomization.png' : ''}\n`);
  if (o.json) io.out(`${JSON.stringify(rows, null, 2)}\n`);
  return EXIT_OK;
}
