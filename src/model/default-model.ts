/**
 * Node-only: the built-in models, nsfwjs 4.4.0's fine-tuned MobileNetV2 (the default) and InceptionV3
 * (ImageNet backbones, 5-class heads, MIT licence), imported from the installed npm package at first use
 * and cached as ONNX in the user's cache directory. The cache file's name carries a hash of the
 * importer's code, so a changed importer never serves a stale conversion.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertKeras } from '../import/convert.js';
import { NSFWJS_LABELS, NSFWJS_VERSION, nsfwjsSource, type NsfwjsVariant } from '../import/nsfwjs.js';
import { saveModel } from '../onnx/load.js';
import { loadModelFile } from '../onnx/load-file.js';
import type { Model } from '../onnx/ir.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { SpecParts } from './spec-resolve.js';

export const DEFAULT_MODEL_NAME = `nsfwjs ${NSFWJS_VERSION} MobileNetV2`;

/** nsfwjs feeds 224x224 RGB in [0, 1], resized without keeping the aspect ratio. */
export const DEFAULT_MODEL_SPEC: SpecParts = { layout: 'NHWC', height: 224, width: 224, channels: 3, range: [0, 1], resize: 'stretch' };

/** The built-in models, by the name `--model` accepts. */
export const BUILTIN_MODELS: Readonly<Record<string, { variant: NsfwjsVariant; name: string; spec: SpecParts }>> = Object.freeze({
  'nsfwjs:mobilenet_v2': { variant: 'mobilenet_v2', name: DEFAULT_MODEL_NAME, spec: DEFAULT_MODEL_SPEC },
  'nsfwjs:inception_v3': { variant: 'inception_v3', name: `nsfwjs ${NSFWJS_VERSION} InceptionV3`, spec: { ...DEFAULT_MODEL_SPEC, height: 299, width: 299 } },
});

/** $CNNLENS_CACHE_DIR, else $XDG_CACHE_HOME/cnnlens, else ~/.cache/cnnlens. */
export function cacheDir(): string {
  if (process.env.CNNLENS_CACHE_DIR) return process.env.CNNLENS_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'cnnlens');
}

/** A short hash of the importer's own files (src/import as .ts under tsx, dist/import as .js). */
function importerHash(): string {
  const dir = fileURLToPath(new URL('../import/', import.meta.url));
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(e.name) && !/\.test\.(ts|js)$/.test(e.name)) h.update(e.name).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 12);
}

export interface DefaultModel {
  readonly onnx: Model;
  readonly labels: readonly string[];
  readonly layers: ReadonlyMap<string, string>;
  /** where the converted model is cached ('' when the cache could not be written) */
  readonly cachedAt: string;
  /** true when this call imported it (first use) */
  readonly imported: boolean;
}

/** Loads a built-in model (default: the MobileNetV2) from the cache, importing and caching it on first use. */
export async function defaultModel(variant: NsfwjsVariant = 'mobilenet_v2'): Promise<DefaultModel> {
  const dir = cacheDir();
  const spec = variant === 'inception_v3' ? BUILTIN_MODELS['nsfwjs:inception_v3']!.spec : DEFAULT_MODEL_SPEC;
  const file = join(dir, `nsfwjs-${NSFWJS_VERSION}-${variant}-${importerHash()}.onnx`);
  const layersFile = `${file}.layers.json`;
  if (existsSync(file) && existsSync(layersFile)) {
    const layers = new Map<string, string>(JSON.parse(readFileSync(layersFile, 'utf8')) as [string, string][]);
    return { onnx: loadModelFile(file), labels: NSFWJS_LABELS, layers, cachedAt: file, imported: false };
  }
  const imported = convertKeras(await nsfwjsSource(variant));
  const onnx: Model = {
    ...imported.model,
    metadata: [
      ...imported.model.metadata.filter((m) => !m.key.startsWith('cnnlens.input_spec') && m.key !== 'cnnlens.labels'),
      { key: 'cnnlens.input_spec', value: JSON.stringify(spec) },
      { key: 'cnnlens.labels', value: JSON.stringify(NSFWJS_LABELS) },
    ],
  };
  let cachedAt = '';
  try {
    mkdirSync(dir, { recursive: true });
    await writeFileAtomic(file, saveModel(onnx));
    await writeFileAtomic(layersFile, JSON.stringify([...imported.layers]));
    cachedAt = file;
  } catch {
    // an unwritable cache only costs the import again next time
  }
  return { onnx, labels: NSFWJS_LABELS, layers: imported.layers, cachedAt, imported: true };
}
