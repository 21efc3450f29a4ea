/**
 * The files Integrated Gradients' options may name (`--baseline FILE.npy`, `--baseline-mean
 * FILE.npy|FOLDER`), read on demand. Node modules are imported only when a file is named, through a
 * computed specifier, so the platform-neutral core never loads them in a browser (where these options
 * give a clear error instead).
 */
import { CnnlensError, fail } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import { readNpy, type NpyArray } from '../data/npy.js';
import type { BaselineSpec, MeanSource } from './baselines.js';
import { parseMeanColour } from './baselines.js';

type Fs = typeof import('node:fs/promises');

const load = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

async function nodeFs(what: string): Promise<Fs> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) fail('USAGE', `${what} names a file, which only the Node build can read; in a browser, pass a baseline of another kind.`);
  return (await load('node:fs/promises')) as Fs;
}

async function npyFile(fs: Fs, path: string, what: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : '';
    if (code === 'ENOENT') fail('IO', `${what}: '${path}' does not exist; check the path.`, e);
    fail('IO', `${what}: cannot read '${path}': ${e instanceof Error ? e.message : String(e)}`, e);
  }
  try {
    return readNpy(bytes);
  } catch (e) {
    if (e instanceof CnnlensError) throw new CnnlensError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** The .npy baselines named in `baselines`, by path. */
export async function loadBaselineFiles(baselines: readonly BaselineSpec[]): Promise<Map<string, NpyArray>> {
  const out = new Map<string, NpyArray>();
  for (const b of baselines) {
    if (b.kind !== 'file' || out.has(b.path)) continue;
    out.set(b.path, await npyFile(await nodeFs('--baseline'), b.path, '--baseline'));
  }
  return out;
}

/** `--baseline-mean`: R,G,B (pixels), a .npy mean image in pixels, or a folder of images averaged at the input size. */
export async function loadMeanSource(value: string, spec: InputSpec, signal?: AbortSignal): Promise<MeanSource> {
  const colour = parseMeanColour(value);
  if (colour) return { kind: 'colour', values: colour };
  const fs = await nodeFs('--baseline-mean');
  let isDir = false;
  try {
    isDir = (await fs.stat(value)).isDirectory();
  } catch (e) {
    fail('IO', `--baseline-mean: '${value}' is neither R,G,B pixel values nor an existing .npy file or folder of images.`, e);
  }
  if (!isDir) return { kind: 'image', image: await npyFile(fs, value, '--baseline-mean'), from: value };
  const { meanImageOfFolder } = (await load(new URL('./baseline-mean-file.js', import.meta.url).href)) as typeof import('./baseline-mean-file.js');
  const m = await meanImageOfFolder(value, spec, signal ? { signal } : {});
  return { kind: 'image', image: m.image, from: `the mean of ${m.count} images in '${value}'` };
}
