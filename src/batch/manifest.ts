/**
 * Node only: the record of a batch run in its output folder.
 * - `batch.json`: what the run explains (model, data, methods, options), written once; a resumed run
 *   must ask for the same, else its outputs would mix two runs.
 * - `manifest.jsonl`: one line per finished item, appended (and flushed) only after every output file of
 *   the item has been renamed into place. A line cut short by a kill is ignored, so an item is either
 *   done with all its files or redone. Failed items are recorded with their error and retried on resume.
 */
import { existsSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface RunSpec {
  readonly model: string;
  readonly data: string;
  readonly methods: readonly string[];
  readonly target?: string;
  readonly layers: readonly string[];
  readonly methodOptions: Readonly<Record<string, string | boolean>>;
}

export type ManifestEntry =
  | { readonly item: string; readonly index: number; readonly status: 'done'; readonly files: readonly string[]; readonly label?: string; readonly top?: string; readonly ms: number }
  | { readonly item: string; readonly index: number; readonly status: 'failed'; readonly code: string; readonly error: string };

export const MANIFEST = 'manifest.jsonl';
export const RUN_FILE = 'batch.json';

/** Reads the journal: the last entry per item wins (a failure later redone is done). */
export function readManifest(outDir: string): Map<string, ManifestEntry> {
  const path = join(outDir, MANIFEST);
  const out = new Map<string, ManifestEntry>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let e: ManifestEntry;
    try {
      e = JSON.parse(line) as ManifestEntry;
    } catch {
      continue; // the tail of a run killed while appending
    }
    if (typeof e?.item === 'string') out.set(e.item, e);
  }
  return out;
}

/** Checks (or records) what the run in `outDir` explains. */
export async function settleRunSpec(outDir: string, spec: RunSpec): Promise<'new' | 'resumed'> {
  const path = join(outDir, RUN_FILE);
  const text = `${JSON.stringify(spec, null, 2)}\n`;
  if (!existsSync(path)) {
    await writeFileAtomic(path, text);
    return 'new';
  }
  let old: unknown;
  try {
    old = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    fail('IO', `'${path}' is damaged; remove the output folder or choose another --out.`);
  }
  if (JSON.stringify(old) !== JSON.stringify(JSON.parse(text))) {
    fail('USAGE', `'${outDir}' holds a batch run of something else (${path}: ${JSON.stringify(old)}); resume it with the same options or choose another --out.`);
  }
  return 'resumed';
}

/** Appends entries, each flushed to disk before the next item is reported done. */
export class ManifestWriter {
  private constructor(private readonly fh: FileHandle) {}
  static async open(outDir: string): Promise<ManifestWriter> {
    const path = join(outDir, MANIFEST);
    const fh = await open(path, 'a');
    // a run killed mid-line left a partial line: end it so the next entry starts on its own line
    const { size } = await fh.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      const r = await open(path, 'r');
      await r.read(last, 0, 1, size - 1);
      await r.close();
      if (last[0] !== 0x0a) await fh.write('\n');
    }
    return new ManifestWriter(fh);
  }
  private queue: Promise<void> = Promise.resolve();
  append(entry: ManifestEntry): Promise<void> {
    this.queue = this.queue.then(async () => {
      await this.fh.write(`${JSON.stringify(entry)}\n`);
      await this.fh.datasync();
    });
    return this.queue;
  }
  async close(): Promise<void> {
    await this.queue;
    await this.fh.close();
  }
}
