/**
 * Node only: the record of a batch run in its output folder.
 * - `batch.json`: what the run explains (model, data, methods, options), written once; a resumed run
 *   must ask for the same, else its outputs would mix two runs.
 * - `manifest.jsonl`: one line per finished item, appended (and flushed) only after every output file of
 *   the item has been renamed into place. A line cut short by a kill is ignored, so an item is either
 *   done with all its files or redone. Failed items are recorded with their error and retried on resume.
 * - `manifest.d/*.jsonl`: the same lines written by queue workers, one file per worker process.
 *
 * Why one file per writer rather than many processes appending to one file: a single write() to a file
 * opened with O_APPEND is atomic against other appenders on a local Linux file system, but workers on
 * other machines reach the output folder over NFS or similar, where O_APPEND is emulated by the client
 * (seek to its idea of the end, then write) and concurrent appends overwrite or interleave each other.
 * A file with a single writer cannot be corrupted by another process on any file system; readers merge
 * all files. (The main manifest also has one writer at a time: the local run, or a queue producer that
 * records jobs the queue gave up on.)
 *
 * Merging, and why an item is done exactly once in the result: a job can run twice when its worker
 * stalled (killed, or blocked beyond its lock) after writing its line but before the queue saw it
 * finish. The files it wrote are atomic and the same whoever wrote them, so the entries are keyed by
 * item: the first `done` entry found wins (files in a fixed order: the main manifest, then the parts
 * sorted by name), and a failure counts only while no `done` entry exists for the item.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
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
/** the folder of per-worker manifests, beside the main one */
export const MANIFEST_PARTS = 'manifest.d';
export const RUN_FILE = 'batch.json';

/** The manifest files of a run: the main one, then the workers' parts sorted by name. */
export function manifestFiles(outDir: string): string[] {
  const files = [join(outDir, MANIFEST)];
  const parts = join(outDir, MANIFEST_PARTS);
  if (existsSync(parts)) for (const f of readdirSync(parts).filter((n) => n.endsWith('.jsonl')).sort()) files.push(join(parts, f));
  return files.filter((f) => existsSync(f));
}

/** Every readable entry of every manifest file, in file order; lines cut short by a kill are skipped. */
export function readManifestEntries(outDir: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const path of manifestFiles(outDir)) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let e: ManifestEntry;
      try {
        e = JSON.parse(line) as ManifestEntry;
      } catch {
        continue; // the tail of a run killed while appending
      }
      if (typeof e?.item === 'string') out.push(e);
    }
  }
  return out;
}

/**
 * The merged journal, one entry per item: the first `done` entry, else the last failure (a failure
 * later redone is done; a job re-run after a stall is counted once).
 */
export function readManifest(outDir: string): Map<string, ManifestEntry> {
  const out = new Map<string, ManifestEntry>();
  for (const e of readManifestEntries(outDir)) if (out.get(e.item)?.status !== 'done') out.set(e.item, e);
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

/**
 * Appends entries, each flushed to disk before the next item is reported done. Each entry is one
 * write() of one line to a file opened with O_APPEND.
 */
export class ManifestWriter {
  private constructor(private readonly fh: FileHandle) {}
  /** A manifest of this process alone, under manifest.d/ (for queue workers; see the header). */
  static async openPart(outDir: string): Promise<ManifestWriter> {
    const dir = join(outDir, MANIFEST_PARTS);
    await mkdir(dir, { recursive: true });
    const name = `${hostname().replace(/[^\w.-]+/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`;
    return new ManifestWriter(await open(join(dir, name), 'ax'));
  }
  /** The main manifest, manifest.jsonl. */
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
