/**
 * A model for the explorer, from files the user chose (ONNX, Keras .keras / .h5, TF.js model.json with
 * its weight shards, optionally a `<model>.cnnlens.json` sidecar) or from a URL the server offers (the
 * default model). The same steps as the command line's loader, with the browser's File instead of paths:
 * read, import (library), settle the input spec (library), build the ImageModel (library).
 */
import {
  CnnlensError,
  checkParts,
  convertKeras,
  fail,
  featureMaps,
  imageModel,
  loadModel,
  metadataSpec,
  resolveInputSpec,
  resolveLayer,
  tfjsSource,
  type ImageModel,
  type Model,
  type SpecParts,
} from './lib.js';
import type { ModelSource, ModelSummary } from './protocol.js';

const KINDS = '.onnx, .keras, .h5, or a TF.js model.json chosen together with its weight shards';
/** Files larger than this are refused before reading (WebAssembly memory is 4 GB). */
const MAX_MODEL_BYTES = 1.5 * 2 ** 30;

async function bytesOf(f: Blob, what: string): Promise<Uint8Array> {
  if (f.size > MAX_MODEL_BYTES) fail('IO', `${what} is ${(f.size / 2 ** 30).toFixed(1)} GB; the browser explorer reads models up to 1.5 GB.`);
  try {
    return new Uint8Array(await f.arrayBuffer());
  } catch (e) {
    return fail('IO', `${what} cannot be read: ${(e as Error).message}`, e);
  }
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    return fail('IO', `${what} could not be fetched from ${url}: ${(e as Error).message}`, e);
  }
  if (!res.ok) fail('IO', `${what} is not served here (${url}: HTTP ${res.status}); start the page with 'cnnlens serve', or choose a model file.`);
  return new Uint8Array(await res.arrayBuffer());
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return fail('MODEL_FORMAT', `${what} is not JSON: ${(e as Error).message}.`, e);
  }
}

function labelsFrom(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail('USAGE', `${where}: 'labels' must be a list of strings.`);
  return v as string[];
}

/** Weight shards in manifest order, matched to the chosen files by base name. */
async function tfjsWeights(json: unknown, files: readonly File[]): Promise<Uint8Array> {
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  const paths: string[] = [];
  if (Array.isArray(manifest)) {
    for (const g of manifest) {
      const ps = (g as { paths?: unknown } | null)?.paths;
      if (!Array.isArray(ps) || !ps.every((p) => typeof p === 'string')) fail('MODEL_FORMAT', 'model.json: a weightsManifest group without a list of shard paths.');
      paths.push(...(ps as string[]));
    }
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  const parts: Uint8Array[] = [];
  for (const p of paths) {
    const base = p.split('/').pop()!;
    const f = byName.get(base);
    if (!f) fail('IO', `model.json lists the weight shard '${base}', which was not among the chosen files; choose model.json together with all ${paths.length} shard files.`);
    parts.push(await bytesOf(f, `weight shard '${base}'`));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Loaded {
  onnx: Model;
  name: string;
  source: string;
  layers?: ReadonlyMap<string, string>;
  parts?: SpecParts;
  labels?: readonly string[];
  notes: string[];
}

async function fromFiles(files: readonly File[]): Promise<Loaded> {
  if (files.length === 0) fail('USAGE', `no file was chosen; choose a model file: ${KINDS}.`);
  const sidecarFile = files.find((f) => f.name.toLowerCase().endsWith('.cnnlens.json'));
  const rest = files.filter((f) => f !== sidecarFile);
  const main = rest.find((f) => /\.(onnx|keras|h5|hdf5)$/i.test(f.name)) ?? rest.find((f) => /\.json$/i.test(f.name));
  if (!main) fail('USAGE', `'${rest.map((f) => f.name).join("', '") || sidecarFile?.name}' is not a model file cnnlens reads; choose ${KINDS}.`);
  const lower = main.name.toLowerCase();
  const notes: string[] = [];
  let loaded: Loaded;
  if (lower.endsWith('.onnx')) {
    const bytes = await bytesOf(main, `'${main.name}'`);
    let onnx: Model;
    try {
      onnx = loadModel(bytes);
    } catch (e) {
      if (e instanceof CnnlensError) throw new CnnlensError(e.code, `'${main.name}': ${e.message}`, { cause: e });
      throw e;
    }
    const meta = onnx.metadata.find((m) => m.key === 'cnnlens.labels')?.value;
    const parts = metadataSpec(onnx);
    loaded = { onnx, name: main.name, source: main.name, notes, ...(parts ? { parts } : {}), ...(meta ? { labels: labelsFrom(JSON.parse(meta), 'the model\'s cnnlens.labels metadata')! } : {}) };
  } else {
    let imported;
    if (lower.endsWith('.json')) {
      const json = parseJson(await bytesOf(main, `'${main.name}'`), `'${main.name}'`);
      imported = convertKeras(tfjsSource(json, await tfjsWeights(json, rest)));
    } else {
      const bytes = await bytesOf(main, `'${main.name}'`);
      // the HDF5 reader (h5wasm) is large: loaded only when a Keras file is chosen
      if (lower.endsWith('.keras')) imported = convertKeras(await (await import('../../src/import/keras-file.js')).kerasFileSource(bytes));
      else imported = convertKeras(await (await import('../../src/import/h5.js')).h5Source(bytes));
    }
    const h = imported.inputHints;
    const parts: SpecParts = { ...(h.height ? { height: h.height } : {}), ...(h.width ? { width: h.width } : {}), ...(h.channels ? { channels: h.channels } : {}), ...(h.hasPreprocessing ? { range: [0, 255] as const } : {}) };
    notes.push(`imported from ${imported.format === 'tfjs' ? 'TF.js layers format' : imported.format === 'keras' ? 'Keras 3 .keras' : 'Keras .h5'}${h.hasPreprocessing ? ' (it starts with its own preprocessing layers: fed raw pixels 0..255)' : ''}`);
    loaded = { onnx: imported.model, name: main.name, source: main.name, layers: imported.layers, parts, notes };
  }
  if (sidecarFile) {
    const v = parseJson(await bytesOf(sidecarFile, `'${sidecarFile.name}'`), `spec file '${sidecarFile.name}'`);
    const sideParts = checkParts(v, `spec file '${sidecarFile.name}'`);
    const labels = labelsFrom((v as { labels?: unknown }).labels, `spec file '${sidecarFile.name}'`);
    loaded.parts = { ...loaded.parts, ...sideParts };
    if (labels) loaded.labels = labels;
    notes.push(`spec file: ${sidecarFile.name}`);
  }
  return loaded;
}

interface ServedInfo {
  readonly name: string;
  readonly source: string;
  readonly onnx: string;
  readonly layers?: string;
}

async function fromUrl(src: Extract<ModelSource, { kind: 'url' }>): Promise<Loaded> {
  const info = parseJson(await fetchBytes(new URL('info.json', src.base).href, 'the served model'), 'the served model\'s info.json') as ServedInfo;
  if (typeof info?.name !== 'string' || typeof info.onnx !== 'string') fail('MODEL_FORMAT', 'the served model\'s info.json must name the model and its ONNX file.');
  const onnx = loadModel(await fetchBytes(new URL(info.onnx, src.base).href, `the model '${info.name}'`));
  const meta = onnx.metadata.find((m) => m.key === 'cnnlens.labels')?.value;
  const parts = metadataSpec(onnx);
  let layers: Map<string, string> | undefined;
  if (info.layers) {
    const v = parseJson(await fetchBytes(new URL(info.layers, src.base).href, 'the layer names'), 'the layer names');
    if (!Array.isArray(v)) fail('MODEL_FORMAT', 'the layer names file must hold a list of [name, tensor] pairs.');
    layers = new Map(v as [string, string][]);
  }
  return { onnx, name: info.name, source: info.source, notes: [`served: ${info.source}`], ...(layers ? { layers } : {}), ...(parts ? { parts } : {}), ...(meta ? { labels: labelsFrom(JSON.parse(meta), 'cnnlens.labels')! } : {}) };
}

export async function loadExplorerModel(src: ModelSource): Promise<{ model: ImageModel; summary: ModelSummary }> {
  const l = src.kind === 'url' ? await fromUrl(src) : await fromFiles(src.files);
  const resolved = resolveInputSpec(l.onnx, l.parts ? { model: l.parts } : {});
  const model = imageModel(l.onnx, { name: l.name, source: l.source, input: resolved.spec, ...(l.labels ? { labels: l.labels } : {}), ...(l.layers ? { layers: l.layers } : {}) });
  const maps = featureMaps(model);
  let defaultLayer = '';
  try {
    defaultLayer = resolveLayer(model).tensor;
  } catch {
    // a model without a spatial feature map: CAM methods will say so when chosen
  }
  const labels = Array.from({ length: model.output.classes }, (_, k) => model.labels?.[k] ?? `class ${k}`);
  return {
    model,
    summary: {
      name: model.name,
      source: model.source,
      input: model.input,
      kind: model.output.kind,
      classes: model.output.classes,
      labels,
      layers: maps.map((m) => ({ label: m.label, tensor: m.name, shape: m.shape ?? [] })),
      defaultLayer,
      notes: [...l.notes, ...resolved.notes],
    },
  };
}
