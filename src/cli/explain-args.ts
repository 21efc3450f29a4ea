/** `cnnlens explain`: the command line, parsed and checked before any file is read. */
import { fail } from '../errors.js';
import type { SpecParts } from '../model/spec-resolve.js';
import type { NormalizeMode, SignMode } from '../render/normalize.js';
import { NORMALIZE_MODES, SIGN_MODES } from '../render/normalize.js';
import { COLORMAP_NAMES } from '../render/colormaps.js';
import { methodIds, methods as allMethods } from '../methods/registry.js';
import { optionSpecs } from '../methods/options.js';
import { parseCommandArgs } from './common.js';

const EXPLAIN_USAGE_HEAD = `Usage: cnnlens explain <image|.npy>... [--model FILE] [--method ID[,ID...]] [--target CLASS|NAME]
                       [--layer NAME] [--out DIR] [--json]

Explains an image classifier's decision for each input: an overlay PNG per method, the raw map as
float32 .npy (before any display normalization), a figure with all methods side by side, and a
JSON summary (top-5 predictions, target, layer, timings). With no --model, the default model
(nsfwjs 4.4.0's fine-tuned MobileNetV2, 5 classes) is used. Scores are pre-softmax logits.

Inputs: PNG, JPEG, WebP (EXIF orientation applied), or .npy already in the model's input layout.

Options:
  --model PATH        .onnx, .keras, .h5, TF.js model.json, or a built-in model:
                      nsfwjs:mobilenet_v2 (the default) or nsfwjs:inception_v3
  --method IDS        comma-separated methods (default gradcam): ${methodIds().join(', ')}
  --target T          class index or name to explain (default: each input's top prediction)
  --versus T          explain the difference of two logits: --target's minus this class's
  --layer NAME[,...]  layer for CAM methods (default: the last conv feature map larger than 1x1;
                      'cnnlens info' lists them); several layers: their maps are averaged
  --out DIR           output folder (default ./cnnlens-out; created if missing)
  --json              print the summary as JSON on stdout
Display (the .npy maps are never affected):
  --colormap NAME     ${COLORMAP_NAMES.join(', ')} (default: turbo; coolwarm for signed maps)
  --alpha A           heatmap opacity over the image, 0..1 (default 0.5)
  --sign MODE         ${SIGN_MODES.join(', ')} (default: positive for CAMs, absolute for gradients)
  --normalize MODE    per-image or shared (one scale over all inputs and methods) (default per-image)
  --percentile P      clip display values at this percentile of |map| (default 99.5)
Input preprocessing (default: what the model says, else a sidecar <model>.cnnlens.json, else [0,1]):
  --range LO,HI       values pixel 0 and 255 map to, e.g. 0,1 or 0,255 or -1,1
  --mean A,B,C        per-channel mean subtracted after --range
  --std A,B,C         per-channel std divided by after the mean
  --size HxW          input size, for models that do not fix it
  --layout L          NCHW or NHWC, when the model's input shape is ambiguous
  --resize MODE       center-crop (default) or stretch
  --spec FILE         a JSON sidecar with any of: range, mean, std, layout, height, width, resize, labels
  --labels FILE       class names: one per line, or a JSON array
Other:
  --threads N         ONNX Runtime threads (default: all cores)
  -h, --help          show this help
`;

/** The usage text, with every method option the registry declares. */
export function explainUsage(): string {
  const specs = [...optionSpecs(allMethods()).values()];
  if (specs.length === 0) return EXPLAIN_USAGE_HEAD;
  const owners = (name: string) => allMethods().filter((m) => m.options?.some((o) => o.name === name)).map((m) => m.id).join(', ');
  const lines = specs.map((o) => {
    const flag = `  --${o.name}${o.type === 'boolean' ? '' : o.type === 'enum' ? ' ' + (o.choices ?? []).join('|') : ' ' + o.type.toUpperCase().slice(0, 3)}`;
    const dflt = o.default !== undefined ? ` (default ${String(o.default)})` : '';
    return `${flag.padEnd(22)}${o.help}${dflt} [${owners(o.name)}]`;
  });
  return `${EXPLAIN_USAGE_HEAD}Method options:\n${lines.join('\n')}\n`;
}

export interface ExplainArgs {
  readonly inputs: readonly string[];
  readonly modelPath?: string;
  readonly methods: readonly string[];
  readonly target?: string;
  /** with --target: explain logit(target) - logit(versus) */
  readonly versus?: string;
  readonly outDir: string;
  readonly json: boolean;
  readonly colormap?: string;
  readonly alpha: number;
  readonly sign?: SignMode;
  readonly normalize: Exclude<NormalizeMode, 'raw'>;
  readonly percentile: number;
  readonly spec: SpecParts;
  readonly specFile?: string;
  readonly labelsFile?: string;
  readonly threads?: number;
  /** method options given as flags, by option name (checked against the methods later) */
  readonly methodOptions: Readonly<Record<string, string | boolean>>;
  /** the layers named with --layer (comma-separated); empty: the default layer */
  readonly layers: readonly string[];
}

function numbers(name: string, v: string | undefined, count?: number): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.some((x) => !Number.isFinite(x)) || (count !== undefined && parts.length !== count)) {
    fail('USAGE', `--${name} takes ${count ?? 'comma-separated'} numbers${count ? ' separated by commas' : ''}, got '${v}'.`);
  }
  return parts;
}

function number(name: string, v: string | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x < lo || x > hi) fail('USAGE', `--${name} must be a number from ${lo} to ${hi}, got '${v}'.`);
  return x;
}

/** Parses the command line; undefined means --help. */
export function parseExplainArgs(argv: string[]): ExplainArgs | undefined {
  const specs = optionSpecs(allMethods());
  const methodFlags = Object.fromEntries([...specs.values()].map((o) => [o.name, { type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { values: o, positionals } = parseCommandArgs('explain', argv, {
    ...methodFlags,
    model: { type: 'string' }, method: { type: 'string' }, target: { type: 'string' }, versus: { type: 'string' }, layer: { type: 'string' },
    out: { type: 'string' }, json: { type: 'boolean' }, colormap: { type: 'string' }, alpha: { type: 'string' },
    sign: { type: 'string' }, normalize: { type: 'string' }, percentile: { type: 'string' },
    range: { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' }, size: { type: 'string' },
    layout: { type: 'string' }, resize: { type: 'string' }, spec: { type: 'string' }, labels: { type: 'string' },
    threads: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, true);
  const given = o as Record<string, string | boolean | undefined>;
  const methodOptions: Record<string, string | boolean> = {};
  for (const name of specs.keys()) if (given[name] !== undefined) methodOptions[name] = given[name]!;
  if (o.help) return undefined;
  if (positionals.length === 0) fail('USAGE', `cnnlens explain needs at least one image or .npy file. Run 'cnnlens explain --help'.`);
  if (o.versus !== undefined && o.target === undefined) fail('USAGE', '--versus needs --target: the explained score is logit(target) - logit(versus).');
  const methods = (o.method ?? 'gradcam').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (methods.length === 0) fail('USAGE', '--method is empty.');
  const known = methodIds();
  for (const m of methods) if (!known.includes(m)) fail('UNKNOWN_METHOD', `unknown method '${m}'. Methods: ${known.join(', ')}.`);
  if (o.colormap !== undefined && !(COLORMAP_NAMES as readonly string[]).includes(o.colormap)) fail('USAGE', `unknown colormap '${o.colormap}'; colormaps: ${COLORMAP_NAMES.join(', ')}.`);
  if (o.sign !== undefined && !(SIGN_MODES as readonly string[]).includes(o.sign)) fail('USAGE', `--sign must be one of ${SIGN_MODES.join(', ')}, got '${o.sign}'.`);
  if (o.normalize !== undefined && o.normalize !== 'per-image' && o.normalize !== 'shared') fail('USAGE', `--normalize must be per-image or shared, got '${o.normalize}'.`);
  if (o.layout !== undefined && o.layout !== 'NCHW' && o.layout !== 'NHWC') fail('USAGE', `--layout must be NCHW or NHWC, got '${o.layout}'.`);
  if (o.resize !== undefined && o.resize !== 'center-crop' && o.resize !== 'stretch') fail('USAGE', `--resize must be center-crop or stretch, got '${o.resize}'.`);
  let size: { height: number; width: number } | undefined;
  if (o.size !== undefined) {
    const m = /^(\d{1,4})(?:x(\d{1,4}))?$/.exec(o.size);
    if (!m || Number(m[1]) < 1 || Number(m[2] ?? m[1]) < 1) fail('USAGE', `--size takes HxW (e.g. 224x224) or one number, got '${o.size}'.`);
    size = { height: Number(m[1]), width: Number(m[2] ?? m[1]) };
  }
  const range = numbers('range', o.range, 2);
  const mean = numbers('mean', o.mean);
  const std = numbers('std', o.std);
  if (range && range[0] === range[1]) fail('USAGE', '--range needs two different values.');
  if (std?.some((s) => s <= 0)) fail('USAGE', '--std values must be positive.');
  let threads: number | undefined;
  if (o.threads !== undefined) {
    threads = Number(o.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) fail('USAGE', `--threads must be an integer from 1 to 1024, got '${o.threads}'.`);
  }
  const spec: SpecParts = {
    ...(range ? { range: [range[0]!, range[1]!] as const } : {}),
    ...(mean ? { mean } : {}),
    ...(std ? { std } : {}),
    ...(size ?? {}),
    ...(o.layout ? { layout: o.layout as 'NCHW' | 'NHWC' } : {}),
    ...(o.resize ? { resize: o.resize as 'center-crop' | 'stretch' } : {}),
  };
  return {
    inputs: positionals,
    methods: [...new Set(methods)],
    outDir: o.out ?? 'cnnlens-out',
    json: o.json ?? false,
    alpha: number('alpha', o.alpha, 0, 1, 0.5),
    normalize: (o.normalize as 'per-image' | 'shared' | undefined) ?? 'per-image',
    percentile: number('percentile', o.percentile, 50, 100, 99.5),
    spec,
    ...(o.model !== undefined ? { modelPath: o.model } : {}),
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.versus !== undefined ? { versus: o.versus } : {}),
    layers: o.layer === undefined ? [] : o.layer.split(',').map((l) => l.trim()).filter((l) => l !== ''),
    methodOptions,
    ...(o.colormap !== undefined ? { colormap: o.colormap } : {}),
    ...(o.sign !== undefined ? { sign: o.sign as SignMode } : {}),
    ...(o.spec !== undefined ? { specFile: o.spec } : {}),
    ...(o.labels !== undefined ? { labelsFile: o.labels } : {}),
    ...(threads !== undefined ? { threads } : {}),
  };
}
