/**
 * Datasets as cnnlens streams them: a known number of pictures, each with an optional class label,
 * read in batches by async iterators so that memory holds one batch at a time, whatever the size of
 * the dataset. Three sources (see `openDataset`): idx files (MNIST, Fashion-MNIST), a folder of images
 * (recursively; labels from the first-level sub-folder names), and a list of files.
 */
import type { RgbImage } from '../image/types.js';
import { fitToInput, preprocess } from '../image/preprocess.js';
import type { InputSpec } from '../model/input-spec.js';
import type { NpyArray } from './npy.js';
import type { HostTensor } from '../runtime/backend.js';
import { fail } from '../errors.js';

export interface PictureBatch {
  /** index of the first picture in the dataset */
  readonly start: number;
  readonly images: readonly RgbImage[];
  /** class index per picture, -1 when unknown */
  readonly labels: Int32Array;
  /**
   * For single-channel sources of one fixed size (idx files): the raw 8-bit values, count × h × w,
   * so grayscale models get them without an RGB round trip.
   */
  readonly gray?: { readonly data: Uint8Array; readonly height: number; readonly width: number };
}

export interface LabeledPicture {
  readonly image: RgbImage;
  readonly label: number;
}

export interface Dataset {
  /** what to call it in messages */
  readonly name: string;
  /** number of pictures */
  readonly length: number;
  /** class names, when the source has them (folder names); idx files have indices only */
  readonly classes?: readonly string[];
  /** streams pictures `batch` at a time from index `from` (default 0) */
  batches(batch: number, from?: number): AsyncGenerator<PictureBatch>;
  /** the pictures (and labels, -1 when unknown) at the given indices, read without holding the rest */
  picturesAt(indices: readonly number[]): Promise<Map<number, LabeledPicture>>;
  /** a name for picture i (its file path, or `name[i]`) */
  itemName(i: number): string;
}

export interface InputBatch {
  readonly start: number;
  readonly count: number;
  /** the model's input for the batch, as `preprocess` makes it */
  readonly input: HostTensor;
  readonly labels: Int32Array;
}

/**
 * Pictures as model input: `preprocess` (fit, luma for grayscale, range, mean/std, layout), except that
 * a grayscale source of the input's exact size feeding a one-channel model is mapped directly
 * (x = lo + p/255 × (hi − lo), then mean/std), which is what preprocess computes for a gray picture.
 */
export function toInput(batch: PictureBatch, spec: InputSpec): HostTensor {
  const g = batch.gray;
  const n = batch.images.length;
  if (g && spec.channels === 1 && g.height === spec.height && g.width === spec.width) {
    const [lo, hi] = spec.range;
    const mean = spec.mean?.[0] ?? 0;
    const std = spec.std?.[0] ?? 1;
    const out = new Float32Array(n * g.height * g.width);
    for (let i = 0; i < out.length; i++) out[i] = (lo + (g.data[i]! / 255) * (hi - lo) - mean) / std;
    // one channel: NCHW and NHWC hold the same values in the same order
    return { type: 'float32', dims: spec.layout === 'NCHW' ? [n, 1, g.height, g.width] : [n, g.height, g.width, 1], data: out };
  }
  return preprocess(batch.images, spec);
}

/** Streams a dataset as model input batches. */
export async function* inputBatches(dataset: Dataset, spec: InputSpec, batch: number, from = 0): AsyncGenerator<InputBatch> {
  for await (const b of dataset.batches(batch, from)) {
    yield { start: b.start, count: b.images.length, input: toInput(b, spec), labels: b.labels };
  }
}

/**
 * The dataset's mean picture at the model's input size, in pixel values (0..255), float32 [H, W, 3]:
 * each picture is fitted to the input as explained inputs are (`fitToInput`) and summed in float64.
 * This is what Integrated Gradients' 'mean' baseline takes (a .npy of this array).
 */
export async function meanImage(dataset: Dataset, spec: InputSpec, options: { batch?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<NpyArray> {
  if (dataset.length === 0) fail('INPUT_VALUE', `${dataset.name} holds no pictures; a mean needs at least one.`);
  const { height: H, width: W } = spec;
  const sum = new Float64Array(H * W * 3);
  let done = 0;
  for await (const b of dataset.batches(options.batch ?? 256)) {
    options.signal?.throwIfAborted();
    for (const image of b.images) {
      const { data } = image.width === W && image.height === H ? { data: image.data } : fitToInput(image, spec).image;
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + data[i]!;
    }
    done += b.images.length;
    options.onProgress?.(done, dataset.length);
  }
  const mean = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) mean[i] = sum[i]! / done;
  return { dtype: 'float32', shape: [H, W, 3], data: mean };
}

/** A gray 8-bit picture as RGB (R = G = B). */
export function grayToRgb(values: Uint8Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = values[i]!;
  return { width, height, data };
}

export function checkBatch(batch: number, from: number, length: number, name: string): void {
  if (!(Number.isInteger(batch) && batch >= 1)) fail('USAGE', `the batch size must be a positive integer, got ${batch}.`);
  if (!(Number.isInteger(from) && from >= 0 && from <= length)) fail('USAGE', `index ${from} is out of range: ${name} holds ${length} pictures.`);
}
