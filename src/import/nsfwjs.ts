/**
 * The two Keras models shipped inside the nsfwjs 4.4.0 package (Node only): a fine-tuned MobileNetV2
 * (224×224) and an InceptionV3 (299×299), both 5-class, [0, 1] RGB input. nsfwjs wraps each TF.js
 * model.json and weight shard in a minified UMD module; they are read as data (the object literal is
 * parsed, the base64 shard string extracted) rather than executed, so importing a model never runs
 * package code.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../errors.js';
import { parseJsLiteral } from './js-literal.js';
import { tfjsSource } from './tfjs.js';
import type { KerasSource } from './types.js';

export const NSFWJS_VERSION = '4.4.0';

/** Class names in output order (nsfwjs's src/nsfw_classes.ts). */
export const NSFWJS_LABELS: readonly string[] = Object.freeze(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);

export type NsfwjsVariant = 'mobilenet_v2' | 'inception_v3';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    return fail('IO', `cannot read '${path}' from the nsfwjs package: ${(e as Error).message}.`, e);
  }
}

/** The installed nsfwjs package directory, checked to be version 4.4.0. */
async function packageDir(): Promise<string> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('nsfwjs');
  } catch (e) {
    return fail('IO', `the nsfwjs package is not installed (npm install nsfwjs@${NSFWJS_VERSION}).`, e);
  }
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    let pkg: unknown;
    try {
      pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    } catch {
      pkg = undefined;
    }
    const p = pkg as { name?: unknown; version?: unknown } | undefined;
    if (p?.name === 'nsfwjs') {
      if (p.version !== NSFWJS_VERSION) fail('MODEL_UNSUPPORTED', `nsfwjs ${String(p.version)} is installed at ${dir}; cnnlens reads the models of nsfwjs ${NSFWJS_VERSION} (npm install nsfwjs@${NSFWJS_VERSION}).`);
      return dir;
    }
    if (dirname(dir) === dir) fail('IO', `cannot find the package directory of nsfwjs (resolved to ${entry}).`);
  }
}

/** The model.json object inside model.min.js (`<module>.exports={modelTopology:...}`). */
function modelJsonOf(text: string, path: string): unknown {
  const m = /\.exports\s*=\s*(?=\{\s*modelTopology\s*:)/.exec(text);
  if (!m) fail('MODEL_FORMAT', `'${path}' does not hold an nsfwjs model (no exported modelTopology).`);
  return parseJsLiteral(text, m.index + m[0].length, path).value;
}

/** The weight bytes inside a group1-shard*.min.js (`<module>.exports="<base64>"`). */
function shardOf(text: string, path: string): Uint8Array {
  const m = /\.exports\s*=\s*"([A-Za-z0-9+/=]*)"/.exec(text);
  if (!m) fail('MODEL_FORMAT', `'${path}' does not hold a base64 weight shard.`);
  return new Uint8Array(Buffer.from(m[1]!, 'base64'));
}

/** One of nsfwjs's bundled models as its TF.js files: the model.json object and the shard bytes. */
export async function readNsfwjsFiles(variant: NsfwjsVariant): Promise<{ modelJson: unknown; weightData: Uint8Array }> {
  if (variant !== 'mobilenet_v2' && variant !== 'inception_v3') fail('USAGE', `unknown nsfwjs model '${String(variant)}'; choose mobilenet_v2 or inception_v3.`);
  const dir = join(await packageDir(), 'dist', 'models', variant);
  const modelPath = join(dir, 'model.min.js');
  const json = modelJsonOf(await readText(modelPath), modelPath);
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) fail('MODEL_FORMAT', `'${modelPath}' has no weightsManifest.`);
  const paths = manifest.flatMap((g: { paths?: unknown }) => (Array.isArray(g?.paths) ? (g.paths as unknown[]) : []));
  if (!paths.every((p): p is string => typeof p === 'string' && /^[\w.-]+$/.test(p))) fail('MODEL_FORMAT', `'${modelPath}' lists malformed shard paths.`);
  const shards = await Promise.all(paths.map(async (p) => shardOf(await readText(join(dir, `${p}.min.js`)), join(dir, `${p}.min.js`))));
  const data = new Uint8Array(shards.reduce((a, s) => a + s.length, 0));
  let at = 0;
  for (const s of shards) {
    data.set(s, at);
    at += s.length;
  }
  return { modelJson: json, weightData: data };
}

/** One of nsfwjs's bundled models as a KerasSource (no network). */
export async function nsfwjsSource(variant: NsfwjsVariant): Promise<KerasSource> {
  const { modelJson, weightData } = await readNsfwjsFiles(variant);
  return tfjsSource(modelJson, weightData);
}
