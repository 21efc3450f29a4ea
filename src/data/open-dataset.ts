/**
 * Node only: a dataset from what the user typed after `--data`:
 * - `mnist:test`, `mnist:train`, `fashion-mnist:test`, `fashion-mnist:train` (installed copies),
 * - an idx image file (`...-images-idx3-ubyte`, optionally `.gz`; its label file beside it is used),
 * - a folder of images (recursive; classes from first-level sub-folders),
 * - a text file listing pictures (`.txt`, `.lst`, `.csv`-free: one path per line, optional tab + class).
 */
import { existsSync, statSync } from 'node:fs';
import { fail } from '../errors.js';
import type { Dataset } from './dataset.js';
import { idxDataset, labelFileFor, namedIdxDataset } from './idx-dataset.js';
import { fileList, imageFolder } from './image-folder.js';

export async function openDataset(spec: string): Promise<Dataset> {
  const named = namedIdxDataset(spec);
  if (named) return idxDataset(named.images, { labels: named.labels, classes: named.classes, name: spec });
  if (!existsSync(spec)) fail('IO', `dataset '${spec}' does not exist; give a folder of images, an idx file, a list of files (.txt), or one of mnist:test, mnist:train, fashion-mnist:test, fashion-mnist:train.`);
  if (statSync(spec).isDirectory()) return imageFolder(spec);
  const lower = spec.toLowerCase();
  if (/-ubyte(\.gz)?$/.test(lower) || /\.idx\d?(\.gz)?$/.test(lower)) {
    const labels = labelFileFor(spec);
    return idxDataset(spec, labels ? { labels } : {});
  }
  if (/\.(txt|lst|list)$/.test(lower)) return fileList(spec);
  fail('USAGE', `'${spec}' is neither a folder, an idx file (*-ubyte[.gz]) nor a list of files (.txt, .lst).`);
}
