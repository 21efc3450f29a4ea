/** `cnnlens info MODEL`: what a model takes, gives and contains, and which tensors are conv feature maps. */
import { convFeatureMaps, defaultCamLayer } from '../model/catalog.js';
import { CnnlensError, fail, listForMessage } from '../errors.js';
import { GraphIndex } from '../onnx/graph.js';
import { DType, dtypeName, type Dim, type Model, type TensorType } from '../onnx/ir.js';
import { loadModelFile } from '../onnx/load-file.js';
import { inferShapes } from '../onnx/shapes.js';
import { EXIT_OK, parseCommandArgs, processIO, table, type CliIO } from './common.js';
import { DEFAULT_MODEL_NAME } from '../model/default-model.js';
import type { ImageModel } from '../model/image-model.js';
import type { InputSpec } from '../model/input-spec.js';
import { featureMaps, resolveLayer } from '../model/layers.js';
import { loadImageModel } from '../model/load-file.js';

export const INFO_USAGE = `Usage: cnnlens info [MODEL] [--json] [--input-size HxW]

Lists the model's producer and opset, its inputs and outputs, how many nodes of each op type it
has, and every tensor with its element type and shape. Tensors marked "conv feature map" are 4-D
activations with a spatial size above 1x1 downstream of a convolution: the layers Grad-CAM and
feature visualization can target. MODEL is an .onnx, .keras, .h5 or TF.js model.json file; without
it, the default model (nsfwjs 4.4.0 MobileNetV2). For image classifiers it also shows the input
spec (size, layout, value range, mean/std), the output kind, the class names, and the feature maps
by the layer names CAM methods accept.

Options:
  --json               print JSON instead of tables
  --input-size HxW     spatial size of the image input(s) when the model leaves it open
                       (e.g. 224x224, or 224 for a square); shapes are then fully known
  -h, --help           show this help
`;

export interface TensorSummary {
  readonly name: string;
  /** element type: float32, float64, int64, ... ('?' when unknown) */
  readonly type: string;
  /** null when the rank is unknown; dims are numbers, symbolic names, or null when unknown */
  readonly shape: readonly Dim[] | null;
}

export interface TensorRow extends TensorSummary {
  /** op type of the producing node, or 'input' for graph inputs */
  readonly op: string;
  readonly convFeatureMap: boolean;
}

export interface ModelInfo {
  readonly file?: string;
  readonly producer: { readonly name: string; readonly version: string };
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly inputs: readonly TensorSummary[];
  readonly outputs: readonly TensorSummary[];
  readonly nodeCount: number;
  /** op type (prefixed with its domain when not the default one) → node count, most frequent first */
  readonly ops: readonly { readonly op: string; readonly count: number }[];
  readonly tensors: readonly TensorRow[];
  /** the conv feature map CAM methods use unless told otherwise (the last one larger than 1×1) */
  readonly defaultLayer?: string;
  /** for image classifiers: how pictures become the input, the output's kind, class names, feature maps by layer name */
  readonly classifier?: ClassifierInfo;
  /** set when shape inference failed; tensor shapes then come from the model's own annotations */
  readonly shapeError?: string;
}

/** Element type names as NumPy and ONNX Runtime spell them. */
export function elemTypeName(elemType: number | undefined): string {
  switch (elemType) {
    case undefined:
    case DType.UNDEFINED: return '?';
    case DType.FLOAT: return 'float32';
    case DType.DOUBLE: return 'float64';
    case DType.FLOAT16: return 'float16';
    default: return dtypeName(elemType);
  }
}

export function formatDims(shape: readonly Dim[] | null | undefined): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Parses '224x224', '224X224' or '224' (square) into [height, width]. */
export function parseInputSize(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:[xX×,]\s*(\d+))?\s*$/.exec(text);
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h >= 1 && w >= 1 && h <= 65536 && w <= 65536)) {
    fail('USAGE', `--input-size must be HxW with positive integers (e.g. 224x224), got '${text}'.`);
  }
  return [h, w];
}

/** Index of the height dim of a 4-D image input: 2 for NCHW, 1 for NHWC (channels ≤ 4 decide). */
function heightAxis(shape: readonly Dim[]): number {
  const small = (d: Dim) => typeof d === 'number' && d >= 1 && d <= 4;
  return !small(shape[1]!) && small(shape[3]!) ? 1 : 2;
}

/** Input shapes with the spatial dims of every 4-D input set to `size`. */
export function imageInputShapes(model: Model, size: readonly [number, number]): Record<string, Dim[]> {
  const index = new GraphIndex(model.graph);
  const out: Record<string, Dim[]> = {};
  for (const v of index.feeds) {
    const shape = v.type?.shape;
    if (!shape || shape.length !== 4) continue;
    const h = heightAxis(shape);
    const s = [...shape];
    for (const [k, want] of [[h, size[0]], [h + 1, size[1]]] as const) {
      const have = s[k];
      if (typeof have === 'number' && have !== want) {
        fail('INPUT_SHAPE', `input '${v.name}' has the fixed shape ${formatDims(shape)}; --input-size ${size[0]}x${size[1]} does not fit it. Leave out --input-size.`);
      }
      s[k] = want;
    }
    out[v.name] = s;
  }
  if (Object.keys(out).length === 0) {
    const feeds = index.feeds.map((v) => `${v.name} ${formatDims(v.type?.shape)}`);
    fail('USAGE', `--input-size applies to 4-D image inputs; this model's inputs are: ${listForMessage(feeds)}.`);
  }
  return out;
}

function summary(name: string, t: TensorType | undefined): TensorSummary {
  return { name, type: elemTypeName(t?.elemType), shape: t?.shape ? [...t.shape] : null };
}

/** Everything `cnnlens info` shows, as data (the model is not modified). */
export function describeModel(model: Model, options: { inputSize?: readonly [number, number]; file?: string } = {}): ModelInfo {
  const g = model.graph;
  const index = new GraphIndex(g);
  const inputShapes = options.inputSize ? imageInputShapes(model, options.inputSize) : undefined;

  const declared = new Map<string, TensorType | undefined>();
  for (const v of [...g.inputs, ...g.valueInfo, ...g.outputs]) if (v.type) declared.set(v.name, v.type);
  if (inputShapes) for (const [name, shape] of Object.entries(inputShapes)) declared.set(name, { elemType: declared.get(name)?.elemType ?? DType.UNDEFINED, shape });

  let inferred: Map<string, { elemType: number; shape: Dim[] }> | undefined;
  let shapeError: string | undefined;
  try {
    inferred = inferShapes(model, inputShapes);
  } catch (e) {
    // the user's --input-size is checked by then; anything else leaves the model's own annotations
    if (!(e instanceof CnnlensError) || e.code === 'INPUT_SHAPE' || e.code === 'TENSOR_NOT_FOUND') throw e;
    shapeError = `[${e.code}] ${e.message}`;
  }
  const typeOf = (name: string): TensorType | undefined => inferred?.get(name) ?? declared.get(name);

  const opCounts = new Map<string, number>();
  for (const n of g.nodes) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    opCounts.set(op, (opCounts.get(op) ?? 0) + 1);
  }
  const ops = [...opCounts].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));

  const maps = convFeatureMaps(model, typeOf);
  const mapNames = new Set(maps.map((m) => m.name));
  const tensors: TensorRow[] = [];
  for (const v of index.feeds) tensors.push({ ...summary(v.name, typeOf(v.name)), op: 'input', convFeatureMap: false });
  for (const n of g.nodes) {
    for (const o of n.outputs) if (o) tensors.push({ ...summary(o, typeOf(o)), op: n.opType, convFeatureMap: mapNames.has(o) });
  }
  const camLayer = defaultCamLayer(maps);

  return {
    ...(options.file !== undefined ? { file: options.file } : {}),
    producer: { name: model.producerName, version: model.producerVersion },
    irVersion: model.irVersion,
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    inputs: index.feeds.map((v) => summary(v.name, typeOf(v.name) ?? v.type)),
    outputs: g.outputs.map((v) => summary(v.name, typeOf(v.name) ?? v.type)),
    nodeCount: g.nodes.length,
    ops,
    tensors,
    ...(camLayer ? { defaultLayer: camLayer.name } : {}),
    ...(shapeError !== undefined ? { shapeError } : {}),
  };
}

export function formatInfo(info: ModelInfo): string {
  const producer = [info.producer.name, info.producer.version].filter(Boolean).join(' ') || '(unknown)';
  const opsets = info.opsets.map((o) => `${o.domain} ${o.version}`).join(', ');
  let s = table([
    ...(info.file !== undefined ? [['model', info.file]] : []),
    ['producer', producer],
    ['opset', `${opsets} (IR version ${info.irVersion})`],
    ['nodes', String(info.nodeCount)],
  ]);
  const io = (list: readonly TensorSummary[]) => table([['name', 'type', 'shape'], ...list.map((t) => [t.name, t.type, formatDims(t.shape)])], '  ');
  s += `\ninputs\n${io(info.inputs)}\noutputs\n${io(info.outputs)}`;
  s += `\nops\n${table(info.ops.map((o) => [o.op, String(o.count)]), '  ')}`;
  const maps = info.tensors.filter((t) => t.convFeatureMap).length;
  s += `\ntensors (${info.tensors.length}, ${maps} conv feature maps)\n`;
  s += table([['name', 'op', 'type', 'shape', ''], ...info.tensors.map((t) => [t.name, t.op, t.type, formatDims(t.shape), t.convFeatureMap ? 'conv feature map' : ''])], '  ');
  if (info.classifier) {
    const c = info.classifier;
    const spec = c.inputSpec;
    s += `\nas an image classifier\n${table([
      ['input', `${spec.layout} ${spec.channels}x${spec.height}x${spec.width}, range [${spec.range.join(', ')}]${spec.mean ? `, mean [${spec.mean.join(', ')}]` : ''}${spec.std ? `, std [${spec.std.join(', ')}]` : ''}, ${spec.resize} (${spec.source})`],
      ['output', `${c.output.kind}, ${c.output.classes} classes; explained: '${c.output.logits}'`],
      ...(c.labels ? [['classes', listForMessage(c.labels, 20)]] : []),
    ], '  ')}`;
    s += `\nfeature maps (layer, tensor, shape)\n${table(c.featureMaps.map((m) => [m.name, m.tensor, formatDims(m.shape)]), '  ')}`;
  }
  if (info.defaultLayer) s += `\ndefault layer for CAM methods: ${info.classifier?.defaultLayer ?? info.defaultLayer} (the last conv feature map larger than 1×1)\n`;
  if (info.shapeError) s += `\nnote: shape inference failed, shapes shown are the model's own annotations: ${info.shapeError}\n`;
  return s;
}

/** Indented JSON with arrays of plain values (shapes) kept on one line. */
export function infoJson(info: ModelInfo): string {
  // JSON escapes newlines inside strings, so ',\n' and '[\n' only occur as layout
  return JSON.stringify(info, null, 2).replace(/\[\n\s*([^[\]{}]*?)\n\s*\]/g, (_, inner: string) => `[${inner.split(/,\n\s*/).join(', ')}]`);
}

export interface ClassifierInfo {
  readonly inputSpec: InputSpec;
  readonly output: ImageModel['output'];
  readonly labels?: readonly string[];
  /** conv feature maps: the layer name users give (Keras names for imported models), its tensor, its shape */
  readonly featureMaps: readonly { readonly name: string; readonly tensor: string; readonly shape: readonly Dim[] | null }[];
  /** the layer name CAM methods use by default */
  readonly defaultLayer?: string;
}

export function classifierInfo(model: ImageModel): ClassifierInfo {
  const maps = featureMaps(model);
  let defaultLayer: string | undefined;
  try {
    defaultLayer = resolveLayer(model).name;
  } catch {
    // no feature map: nothing for CAM methods
  }
  return {
    inputSpec: model.input,
    output: model.output,
    ...(model.labels ? { labels: model.labels } : {}),
    featureMaps: maps.map((m) => ({ name: m.label, tensor: m.name, shape: m.shape })),
    ...(defaultLayer ? { defaultLayer } : {}),
  };
}

export async function infoCommand(argv: string[], io: CliIO = processIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('info', argv, {
    json: { type: 'boolean' },
    'input-size': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, true);
  if (values.help) {
    io.out(INFO_USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 1) {
    fail('USAGE', `cnnlens info takes one model file, got ${positionals.map((p) => `'${p}'`).join(' ')}. Run 'cnnlens info --help'.`);
  }
  const file = positionals[0];
  const inputSize = values['input-size'] !== undefined ? parseInputSize(values['input-size']) : undefined;
  let model: Model;
  let classifier: ClassifierInfo | undefined;
  if (file === undefined || !file.toLowerCase().endsWith('.onnx')) {
    const loaded = await loadImageModel(file, inputSize ? { spec: { height: inputSize[0], width: inputSize[1] } } : {});
    model = loaded.model.onnx;
    classifier = classifierInfo(loaded.model);
  } else {
    model = loadModelFile(file);
    try {
      const loaded = await loadImageModel(file, inputSize ? { spec: { height: inputSize[0], width: inputSize[1] } } : {});
      classifier = classifierInfo(loaded.model);
    } catch (e) {
      // not an image classifier cnnlens can explain as is: the graph listing still helps
      if (!(e instanceof CnnlensError)) throw e;
    }
  }
  const described = describeModel(model, { file: file ?? DEFAULT_MODEL_NAME, ...(inputSize ? { inputSize } : {}) });
  const info: ModelInfo = classifier ? { ...described, classifier, ...(classifier.defaultLayer ? { defaultLayer: classifier.defaultLayer } : {}) } : described;
  io.out(values.json ? `${infoJson(info)}\n` : formatInfo(info));
  return EXIT_OK;
}
