/** Reads a TF.js layers model from disk: model.json and the weight shards listed beside it (Node only). */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fail } from '../errors.js';
import { assertLayersModel, tfjsSource } from './tfjs.js';
import type { KerasSource } from './types.js';

async function read(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail('IO', `cannot read ${what} '${path}'${code === 'ENOENT' ? ': no such file' : ` (${String((e as Error).message)})`}.`, e);
  }
}

export async function readTfjsFiles(modelJsonPath: string): Promise<KerasSource> {
  const text = new TextDecoder().decode(await read(modelJsonPath, 'the model file'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail('MODEL_FORMAT', `'${modelJsonPath}' is not JSON: ${(e as Error).message}.`, e);
  }
  assertLayersModel(json);
  const manifest = json['weightsManifest'];
  const paths: string[] = [];
  if (Array.isArray(manifest)) {
    for (const g of manifest) {
      const ps = typeof g === 'object' && g !== null ? (g as Record<string, unknown>)['paths'] : undefined;
      if (!Array.isArray(ps) || !ps.every((p) => typeof p === 'string')) fail('MODEL_FORMAT', `'${modelJsonPath}': a weightsManifest group without a list of shard paths.`);
      paths.push(...(ps as string[]));
    }
  }
  const dir = dirname(modelJsonPath);
  const shards = await Promise.all(paths.map((p) => read(join(dir, p), 'the weight shard')));
  const data = new Uint8Array(shards.reduce((a, s) => a + s.length, 0));
  let at = 0;
  for (const s of shards) {
    data.set(s, at);
    at += s.length;
  }
  return tfjsSource(json, data);
}
