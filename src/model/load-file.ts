/**
 * Node-only: a model file (ONNX, Keras .keras / .h5, TF.js model.json) or the default model, with its
 * input spec and class names settled, as an ImageModel. Says what it decided in `notes`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail } from '../errors.js';
import { convertKeras } from '../import/convert.js';
import { h5Source } from '../import/h5.js';
import { workerHdf5 } from '../import/h5-in-worker.js';
import { kerasFileSource } from '../import/keras-file.js';
import { readTfjsFiles } from '../import/tfjs-file.js';
import type { ImportedModel } from '../import/types.js';
import { loadModelFile } from '../onnx/load-file.js';
import type { Model } from '../onnx/ir.js';
import { BUILTIN_MODELS, defaultModel } from './default-model.js';
import { imageModel, type ImageModel } from './image-model.js';
import { checkParts, metadataSpec, resolveInputSpec, type SpecParts } from './spec-resolve.js';

export interface ModelFileOptions {
  /** spec parts given as options (win over everything else) */
  readonly spec?: SpecParts;
  /** a sidecar JSON file; default: `<model>.cnnlens.json` when it exists */
  readonly specFile?: string;
  /** a labels file: one class name per line, or a JSON array */
  readonly labelsFile?: string;
}

export interface LoadedModel {
  readonly model: ImageModel;
  /** what was decided and why, one line each (for the CLI to print) */
  readonly notes: readonly string[];
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    fail('IO', `${what} '${path}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
}

/** Class names from a file: a JSON array of strings, or one name per line. */
export function readLabels(path: string): string[] {
  const text = readText(path, 'labels file');
  if (text.trimStart().startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      fail('USAGE', `labels file '${path}' looks like JSON but does not parse: ${(e as Error).message}`);
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail('USAGE', `labels file '${path}' must be a JSON array of strings.`);
    return v as string[];
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** The class names a model file keeps in its `cnnlens.labels` metadata (a JSON list of strings). */
function metadataLabels(raw: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    fail('ONNX_PARSE', `the model's cnnlens.labels metadata is not JSON (${(e as Error).message}); remove it or give --labels FILE.`, e);
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail('ONNX_PARSE', "the model's cnnlens.labels metadata is not a list of strings; remove it or give --labels FILE.");
  return v as string[];
}

function readSidecar(path: string): { parts: SpecParts; labels?: string[] } {
  let v: unknown;
  try {
    v = JSON.parse(readText(path, 'spec file'));
  } catch (e) {
    if (e instanceof SyntaxError) fail('USAGE', `spec file '${path}' is not valid JSON: ${e.message}`);
    throw e;
  }
  const parts = checkParts(v, `spec file '${path}'`);
  const labels = (v as { labels?: unknown }).labels;
  if (labels !== undefined && (!Array.isArray(labels) || labels.some((x) => typeof x !== 'string'))) fail('USAGE', `spec file '${path}': 'labels' must be a list of strings.`);
  return { parts, ...(labels ? { labels: labels as string[] } : {}) };
}

async function importFile(path: string): Promise<ImportedModel> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return convertKeras(await readTfjsFiles(path));
  const bytes = new Uint8Array(readFileSync(path));
  // HDF5 is read in a worker thread with time and memory limits: a damaged file cannot crash or hang us
  const hdf5 = { reader: workerHdf5(), name: basename(path) };
  if (lower.endsWith('.keras')) return convertKeras(await kerasFileSource(bytes, hdf5));
  return convertKeras(await h5Source(bytes, hdf5));
}

const KINDS = `.onnx, .keras, .h5 / .hdf5, a TF.js model.json (or a folder holding one), or a built-in model (${Object.keys(BUILTIN_MODELS).join(', ')})`;

/** Loads a model file, or the default model when `path` is undefined. */
export async function loadImageModel(path: string | undefined, options: ModelFileOptions = {}): Promise<LoadedModel> {
  let onnx: Model;
  let layers: ReadonlyMap<string, string> | undefined;
  let modelParts: SpecParts | undefined;
  let labels: readonly string[] | undefined;
  let name: string;
  let source: string;
  const notes: string[] = [];
  const builtin = BUILTIN_MODELS[path ?? 'nsfwjs:mobilenet_v2'];
  if (path === undefined || (builtin && Object.hasOwn(BUILTIN_MODELS, path))) {
    const b = builtin!;
    const d = await defaultModel(b.variant);
    onnx = d.onnx;
    layers = d.layers;
    labels = d.labels;
    modelParts = b.spec;
    name = b.name;
    source = 'nsfwjs@4.4.0 (npm package, MIT licence)';
    notes.push(`model: ${path === undefined ? 'the default model, ' : ''}${b.name} (${d.imported ? `imported from the nsfwjs package${d.cachedAt ? `, cached at ${d.cachedAt}` : ''}` : `cached at ${d.cachedAt}`})`);
  } else {
    if (!existsSync(path)) fail('IO', `model file '${path}' does not exist.`);
    let file = path;
    if (statSync(path).isDirectory()) {
      file = join(path, 'model.json');
      if (!existsSync(file)) fail('IO', `'${path}' is a folder without a model.json; give a model file: ${KINDS}.`);
    }
    const lower = file.toLowerCase();
    name = basename(path);
    source = path;
    if (lower.endsWith('.onnx')) {
      onnx = loadModelFile(file);
      modelParts = metadataSpec(onnx);
      const meta = onnx.metadata.find((m) => m.key === 'cnnlens.labels')?.value;
      if (meta) labels = metadataLabels(meta);
    } else if (/\.(keras|h5|hdf5|json)$/.test(lower)) {
      const imported = await importFile(file);
      onnx = imported.model;
      layers = imported.layers;
      const h = imported.inputHints;
      // a model that starts with Rescaling/Normalization takes raw pixel values
      modelParts = { ...(h.height ? { height: h.height } : {}), ...(h.width ? { width: h.width } : {}), ...(h.channels ? { channels: h.channels } : {}), ...(h.hasPreprocessing ? { range: [0, 255] as const } : {}) };
      notes.push(`model: ${name}, imported from ${imported.format === 'tfjs' ? 'TF.js layers format' : imported.format === 'keras' ? 'Keras 3 .keras' : 'Keras .h5'}${h.hasPreprocessing ? ' (it starts with its own preprocessing layers: fed raw pixels 0..255)' : ''}`);
    } else {
      fail('USAGE', `'${path}': unknown model file type; cnnlens reads ${KINDS}.`);
    }
  }
  const sidecarPath = options.specFile ?? (path !== undefined && existsSync(`${path}.cnnlens.json`) ? `${path}.cnnlens.json` : undefined);
  const sidecar = sidecarPath ? readSidecar(sidecarPath) : undefined;
  if (sidecar?.labels) labels = sidecar.labels;
  if (options.labelsFile) labels = readLabels(options.labelsFile);
  const resolved = resolveInputSpec(onnx, {
    ...(options.spec ? { options: options.spec } : {}),
    ...(sidecar && sidecarPath ? { sidecar: { path: sidecarPath, parts: sidecar.parts } } : {}),
    ...(modelParts ? { model: modelParts } : {}),
  });
  notes.push(...resolved.notes);
  const model = imageModel(onnx, { name, source, input: resolved.spec, ...(labels ? { labels } : {}), ...(layers ? { layers } : {}) });
  return { model, notes };
}
