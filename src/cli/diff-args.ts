/** `cnnlens diff`: the command line, parsed and checked before any model or picture is read. */
import { extname } from 'node:path';
import { fail } from '../errors.js';
import { optionSpecs } from '../methods/options.js';
import { methodIds, methods as allMethods } from '../methods/registry.js';
import { parseCommandArgs } from './common.js';

export function diffUsage(): string {
  return `Usage: cnnlens diff --model A --model B (IMAGE... | --data D) [--method ID[,ID...]] [--target T]
                    [--layer NAME | --layer-a NAME --layer-b NAME] [--out DIR] [--json]

Explains the same pictures with two versions of a model (e.g. before and after fine-tuning) and reports
where and how much the explanations changed. Both models explain the same class: by default the class
A predicts; models whose classes differ (count or names) need --target. Each model gets its own
preprocessing; maps are compared on the picture region both saw, at the finer resolution.

Per picture: <name>.diff.png (picture | A's map | B's map | B - A in a diverging colormap, one row per
method) and <name>.<method>.diff.npy (B - A as float32 [1, H, W]). Over all pictures: diff.json and
diff.md (per-picture and aggregate tables). Each map is first normalized by its method's display rule,
without clipping (divided by its peak; min-max for occlusion and RISE), so B - A lies in [-1, 1]
([-2, 2] for signed maps). Measures: Spearman rank correlation, SSIM, IoU of the top k% pixels, and
L2 (the root mean square of B - A).

Options:
  --model PATH        give twice: model A, then model B (.onnx, .keras, .h5, TF.js model.json, or a
                      built-in model such as nsfwjs:mobilenet_v2)
  --data D            a folder of images, an idx file, a .txt list of files, or mnist:test, ...
  --limit N           pictures of --data to use (default 50)
  --method IDS        comma-separated methods (default gradcam): ${methodIds().join(', ')}
  --target T          class index or name (default: model A's top class for each picture)
  --layer NAME        layer for CAM methods in both models (default: each model's default layer)
  --layer-a NAME      layer in model A only; --layer-b NAME: in model B only
  --top-k P           percent of most-attributed pixels whose overlap (IoU) is measured (default 10)
  --out DIR           output folder (default ./cnnlens-diff; created if missing)
  --json              print the whole report as JSON on stdout
  --threads N         ONNX Runtime threads (default: all cores)
  -h, --help          show this help
Method options are those of 'cnnlens explain --help'; they apply to both models.
`;
}

export interface DiffArgs {
  readonly modelA: string;
  readonly modelB: string;
  readonly inputs: readonly string[];
  readonly data?: string;
  readonly limit: number;
  readonly methods: readonly string[];
  readonly target?: string;
  readonly layerA?: string;
  readonly layerB?: string;
  readonly topFraction: number;
  readonly outDir: string;
  readonly json: boolean;
  readonly threads?: number;
  readonly methodOptions: Readonly<Record<string, string | boolean>>;
}

function integer(name: string, v: string | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) fail('USAGE', `--${name} must be an integer from 1 to ${max}, got '${v}'.`);
  return n;
}

/** Parses the command line; undefined means --help. */
export function parseDiffArgs(argv: string[]): DiffArgs | undefined {
  const specs = optionSpecs(allMethods());
  const methodFlags = Object.fromEntries([...specs.values()].map((o) => [o.name, { type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { values: o, positionals } = parseCommandArgs('diff', argv, {
    ...methodFlags,
    model: { type: 'string', multiple: true }, data: { type: 'string' }, limit: { type: 'string' }, method: { type: 'string' },
    target: { type: 'string' }, layer: { type: 'string' }, 'layer-a': { type: 'string' }, 'layer-b': { type: 'string' },
    'top-k': { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, true);
  if (o.help) return undefined;
  const models = o.model ?? [];
  if (models.length < 2) {
    fail('USAGE', `cnnlens diff compares two models: give --model A --model B (${models.length === 0 ? 'no model was given' : `only '${models[0]}' was given`}). Run 'cnnlens diff --help'.`);
  }
  if (models.length > 2) fail('USAGE', `cnnlens diff compares two models, got ${models.length}: ${models.join(', ')}.`);
  if (positionals.length > 0 && o.data !== undefined) fail('USAGE', 'give pictures or --data, not both.');
  if (positionals.length === 0 && o.data === undefined) fail('USAGE', `cnnlens diff needs pictures: image files, or --data D. Run 'cnnlens diff --help'.`);
  for (const p of positionals) if (extname(p).toLowerCase() === '.npy') fail('USAGE', `'${p}': diff takes pictures (PNG, JPEG, WebP), which each model preprocesses its own way; a .npy input is already in one model's layout.`);
  if (o.layer !== undefined && (o['layer-a'] !== undefined || o['layer-b'] !== undefined)) fail('USAGE', 'give --layer (both models) or --layer-a / --layer-b, not both.');
  const methods = [...new Set((o.method ?? 'gradcam').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  if (methods.length === 0) fail('USAGE', '--method is empty.');
  for (const m of methods) if (!methodIds().includes(m)) fail('UNKNOWN_METHOD', `unknown method '${m}'. Methods: ${methodIds().join(', ')}.`);
  const topK = o['top-k'] === undefined ? 10 : Number(o['top-k']);
  if (!(topK > 0 && topK <= 100)) fail('USAGE', `--top-k is a percentage in (0, 100], got '${o['top-k']}'.`);
  const given = o as Record<string, unknown>;
  const methodOptions: Record<string, string | boolean> = {};
  for (const name of specs.keys()) if (given[name] !== undefined) methodOptions[name] = given[name] as string | boolean;
  const layerA = o['layer-a'] ?? o.layer;
  const layerB = o['layer-b'] ?? o.layer;
  return {
    modelA: models[0]!,
    modelB: models[1]!,
    inputs: positionals,
    ...(o.data !== undefined ? { data: o.data } : {}),
    limit: integer('limit', o.limit, 50, 1_000_000),
    methods,
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(layerA !== undefined ? { layerA } : {}),
    ...(layerB !== undefined ? { layerB } : {}),
    topFraction: topK / 100,
    outDir: o.out ?? 'cnnlens-diff',
    json: o.json ?? false,
    ...(o.threads !== undefined ? { threads: integer('threads', o.threads, 1, 1024) } : {}),
    methodOptions,
  };
}
