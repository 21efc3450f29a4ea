/**
 * Node only: the per-pixel mean of a folder of images at the model's input size, for Integrated
 * Gradients' 'mean' baseline (`--baseline mean --baseline-mean FOLDER`). Each image is decoded
 * (src/image/read-file.ts) and fitted to the input exactly as explained inputs are (fitToInput: centre
 * crop or stretch, Pillow-style bilinear), one at a time, and summed in float64; the result is in pixel
 * values (0..255), RGB, shape [H, W, 3].
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import { fitToInput } from '../image/preprocess.js';
import { readImageFile } from '../image/read-file.js';
import type { NpyArray } from '../data/npy.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff'] as const;

export interface FolderMean {
  /** float32 [H, W, 3], pixel values */
  readonly image: NpyArray;
  readonly count: number;
  /** the files averaged, sorted */
  readonly files: readonly string[];
}

export async function meanImageOfFolder(dir: string, spec: InputSpec, options: { signal?: AbortSignal; onImage?: (done: number, total: number) => void } = {}): Promise<FolderMean> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && IMAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))).map((e) => e.name).sort();
  } catch (e) {
    fail('IO', `cannot list the folder '${dir}': ${e instanceof Error ? e.message : String(e)}`, e);
  }
  if (names.length === 0) fail('IO', `the folder '${dir}' holds no images (${IMAGE_EXTENSIONS.join(', ')}); give a folder of images, a .npy mean image or R,G,B.`);
  const { height: H, width: W } = spec;
  const sum = new Float64Array(H * W * 3);
  const files = names.map((n) => join(dir, n));
  for (let k = 0; k < files.length; k++) {
    options.signal?.throwIfAborted();
    const { data } = fitToInput(await readImageFile(files[k]!), spec).image;
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + data[i]!;
    options.onImage?.(k + 1, files.length);
  }
  const mean = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) mean[i] = sum[i]! / files.length;
  return { image: { dtype: 'float32', shape: [H, W, 3], data: mean }, count: files.length, files };
}
