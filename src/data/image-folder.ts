/**
 * Node only: pictures in files as a streamed Dataset.
 * - `imageFolder(dir)`: every image under `dir`, recursively, in sorted path order. Pictures in a
 *   first-level sub-folder get that sub-folder's name as their class (as torchvision's ImageFolder
 *   does: `dir/cat/a.png`, `dir/cat/x/b.png` are both 'cat'); pictures directly in `dir` are unlabelled.
 * - `fileList(path)`: a text file with one picture per line, optionally followed by a tab and a class
 *   name; relative paths are relative to the list's folder; blank lines and lines starting with # are
 *   skipped.
 * Only the paths are held in memory; pictures are decoded batch by batch.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fail } from '../errors.js';
import { readImageFile } from '../image/read-file.js';
import type { RgbImage } from '../image/types.js';
import { checkBatch, type Dataset, type LabeledPicture, type PictureBatch } from './dataset.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff'] as const;

const isImage = (name: string) => IMAGE_EXTENSIONS.some((x) => name.toLowerCase().endsWith(x));

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    fail('IO', `cannot list the folder '${dir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, e);
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && isImage(e.name)) out.push(p);
  }
}

/** A dataset of files with labels given as class indices (-1 = none). */
export function filesDataset(name: string, files: readonly string[], labels: Int32Array, classes?: readonly string[]): Dataset {
  const read = (i: number) => readImageFile(files[i]!);
  return {
    name,
    length: files.length,
    ...(classes ? { classes } : {}),
    itemName: (i) => files[i]!,
    async *batches(batch: number, from = 0): AsyncGenerator<PictureBatch> {
      checkBatch(batch, from, files.length, name);
      for (let s = from; s < files.length; s += batch) {
        const e = Math.min(files.length, s + batch);
        const images: RgbImage[] = [];
        for (let i = s; i < e; i++) images.push(await read(i));
        yield { start: s, images, labels: labels.slice(s, e) };
      }
    },
    async picturesAt(indices) {
      const out = new Map<number, LabeledPicture>();
      for (const i of indices) {
        if (!(Number.isInteger(i) && i >= 0 && i < files.length)) fail('USAGE', `picture ${i} is out of range: ${name} holds ${files.length}.`);
        if (!out.has(i)) out.set(i, { image: await read(i), label: labels[i]! });
      }
      return out;
    },
  };
}

export async function imageFolder(dir: string): Promise<Dataset> {
  const files: string[] = [];
  await walk(dir, files);
  files.sort();
  if (files.length === 0) fail('IO', `the folder '${dir}' holds no images (${IMAGE_EXTENSIONS.join(', ')}), in it or in its sub-folders.`);
  const top = files.map((f) => {
    const parts = relative(dir, f).split(sep);
    return parts.length > 1 ? parts[0]! : undefined;
  });
  const classes = [...new Set(top.filter((t): t is string => t !== undefined))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(top, (t) => (t === undefined ? -1 : index.get(t)!));
  return filesDataset(dir, files, labels, classes.length ? classes : undefined);
}

export function fileList(path: string): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail('IO', `cannot read the file list '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, e);
  }
  const base = dirname(path);
  const files: string[] = [];
  const names: (string | undefined)[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [file, label] = line.split('\t').map((s) => s.trim());
    files.push(isAbsolute(file!) ? file! : join(base, file!));
    names.push(label || undefined);
  }
  if (files.length === 0) fail('IO', `the file list '${path}' names no pictures; give one path per line (optionally a tab and a class name).`);
  const classes = [...new Set(names.filter((t): t is string => t !== undefined))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return filesDataset(path, files, Int32Array.from(names, (t) => (t === undefined ? -1 : index.get(t)!)), classes.length ? classes : undefined);
}
