/**
 * Settling a model's InputSpec from what is known, in priority order: the user's options, a sidecar
 * JSON file, what the model itself says (cnnlens metadata, Keras Rescaling/Normalization layers),
 * and finally defaults. The result says where each part came from, so the CLI can say so.
 */
import { fail } from '../errors.js';
import type { Dim, Model } from '../onnx/ir.js';
import { declaredInput } from './image-model.js';
import type { InputSpec, Layout } from './input-spec.js';

/** The parts of an InputSpec a user, a sidecar or the model may state; all optional. */
export interface SpecParts {
  readonly layout?: Layout;
  readonly height?: number;
  readonly width?: number;
  readonly channels?: number;
  readonly range?: readonly [number, number];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly resize?: InputSpec['resize'];
}

export interface SpecSources {
  /** command-line options or API arguments */
  readonly options?: SpecParts;
  /** a sidecar JSON file's contents, with its path */
  readonly sidecar?: { readonly path: string; readonly parts: SpecParts };
  /** what the model's file says (cnnlens metadata, or an importer's hints) */
  readonly model?: SpecParts;
}

export interface ResolvedSpec {
  readonly spec: InputSpec;
  /** one line per decision, e.g. "range [0, 255]: the model (it starts with a Rescaling layer)" */
  readonly notes: readonly string[];
}

const isNum = (d: Dim | undefined): d is number => typeof d === 'number' && d > 0;

/** Layout and size from the declared input shape, where it is unambiguous. */
export function layoutFromShape(shape: readonly Dim[]): SpecParts {
  const [, a, b, c] = shape;
  const small = (d: Dim | undefined) => d === 1 || d === 3;
  if (small(a) && !small(c)) return { layout: 'NCHW', channels: a as number, ...(isNum(b) ? { height: b } : {}), ...(isNum(c) ? { width: c } : {}) };
  if (small(c) && !small(a)) return { layout: 'NHWC', channels: c as number, ...(isNum(a) ? { height: a } : {}), ...(isNum(b) ? { width: b } : {}) };
  return {};
}

/** The cnnlens metadata of a model file (written when cnnlens saves an imported model). */
export function metadataSpec(model: Model): SpecParts | undefined {
  const raw = model.metadata.find((m) => m.key === 'cnnlens.input_spec')?.value;
  if (!raw) return undefined;
  try {
    return checkParts(JSON.parse(raw), 'the model\'s cnnlens.input_spec metadata');
  } catch (e) {
    if (e instanceof SyntaxError) fail('ONNX_PARSE', `the model's cnnlens.input_spec metadata is not JSON: ${e.message}`);
    throw e;
  }
}

/** Validates SpecParts read from JSON (a sidecar or metadata), with errors naming `where`. */
export function checkParts(v: unknown, where: string): SpecParts {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('USAGE', `${where} must be a JSON object.`);
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const numbers = (k: string, len?: number) => {
    const x = o[k];
    if (x === undefined) return;
    if (!Array.isArray(x) || x.some((e) => typeof e !== 'number' || !Number.isFinite(e)) || (len !== undefined && x.length !== len)) {
      fail('USAGE', `${where}: '${k}' must be a list of ${len ?? 'some'} numbers.`);
    }
    out[k] = x;
  };
  const positiveInt = (k: string) => {
    const x = o[k];
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > 8192) fail('USAGE', `${where}: '${k}' must be an integer from 1 to 8192.`);
    out[k] = x;
  };
  if (o.layout !== undefined) {
    if (o.layout !== 'NCHW' && o.layout !== 'NHWC') fail('USAGE', `${where}: 'layout' must be "NCHW" or "NHWC".`);
    out.layout = o.layout;
  }
  if (o.resize !== undefined) {
    if (o.resize !== 'center-crop' && o.resize !== 'stretch') fail('USAGE', `${where}: 'resize' must be "center-crop" or "stretch".`);
    out.resize = o.resize;
  }
  positiveInt('height');
  positiveInt('width');
  positiveInt('channels');
  numbers('range', 2);
  numbers('mean');
  numbers('std');
  if (Array.isArray(out.std) && (out.std as number[]).some((s) => s <= 0)) fail('USAGE', `${where}: 'std' values must be positive.`);
  return out as SpecParts;
}

/** Combines the sources into one InputSpec for the model. */
export function resolveInputSpec(model: Model, sources: SpecSources): ResolvedSpec {
  const { name, shape } = declaredInput(model);
  const layers: [string, SpecParts | undefined][] = [
    ['options', sources.options],
    [sources.sidecar ? `sidecar ${sources.sidecar.path}` : 'sidecar', sources.sidecar?.parts],
    ['the model', sources.model],
    [`the input shape [${shape.join(', ')}]`, layoutFromShape(shape)],
  ];
  const notes: string[] = [];
  const pick = <K extends keyof SpecParts>(key: K): { value: SpecParts[K]; from: string } | undefined => {
    for (const [from, parts] of layers) if (parts && parts[key] !== undefined) return { value: parts[key], from };
    return undefined;
  };
  const layout = pick('layout');
  if (!layout) fail('USAGE', `the layout of input '${name}' [${shape.join(', ')}] is ambiguous; give --layout NCHW or NHWC.`);
  const channels = pick('channels')?.value ?? 3;
  const height = pick('height');
  const width = pick('width');
  const declared = layout.value === 'NCHW' ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]];
  const size = (got: { value: number | undefined; from: string } | undefined, what: string): number => {
    if (got?.value) return got.value;
    fail('USAGE', `the model's input '${name}' does not fix its ${what}; give --size HxW.`);
  };
  const spec = {
    layout: layout.value!,
    channels,
    height: size(height, 'height'),
    width: size(width, 'width'),
  };
  const check = [spec.channels, spec.height, spec.width];
  declared.forEach((d, i) => {
    if (isNum(d) && d !== check[i]) fail('USAGE', `the model's input '${name}' is [${shape.join(', ')}], which does not fit ${spec.layout} ${spec.channels}x${spec.height}x${spec.width}.`);
  });
  const range = pick('range');
  const mean = pick('mean');
  const std = pick('std');
  const resize = pick('resize');
  for (const [k, v] of [['mean', mean], ['std', std]] as const) {
    if (v?.value && v.value.length !== channels && v.value.length !== 1) fail('USAGE', `${k} has ${v.value.length} values (from ${v.from}), but the model takes ${channels} channels.`);
  }
  const perChannel = (v: readonly number[] | undefined) => (v && v.length === 1 ? Array(channels).fill(v[0]) : v);
  notes.push(`input: ${spec.layout} ${spec.channels}x${spec.height}x${spec.width} (${layout.from})`);
  notes.push(range ? `range [${range.value!.join(', ')}] (${range.from})` : 'range [0, 1] (assumed: nothing says otherwise; give --range if the model expects other values)');
  if (mean || std) notes.push(`mean [${mean?.value?.join(', ') ?? '0'}], std [${std?.value?.join(', ') ?? '1'}] (${mean?.from ?? std?.from})`);
  const m = perChannel(mean?.value);
  const s = perChannel(std?.value);
  const origins = new Set([layout.from, range?.from, mean?.from, std?.from].filter((x): x is string => !!x && !x.startsWith('the input shape')));
  return {
    spec: {
      ...spec,
      range: (range?.value ?? [0, 1]) as readonly [number, number],
      ...(m ? { mean: m } : {}),
      ...(s ? { std: s } : {}),
      resize: resize?.value ?? 'center-crop',
      source: origins.size ? [...origins].join(' + ') : 'default',
    },
    notes,
  };
}
