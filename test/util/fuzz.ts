/**
 * Seeded mutation fuzzing for the readers of untrusted files (ONNX, Keras, TF.js, .npy, images).
 *
 * `mutateBytes` stacks a few AFL-style mutations (bit flips, interesting bytes and 16/32-bit values,
 * block deletion, duplication, insertion, truncation, splicing in tokens of a dictionary); `mutateJson`
 * replaces, deletes or duplicates subtrees of a parsed JSON document. `fuzz` runs a target on `count`
 * mutated inputs and fails on the first input that ends in anything but a typed `CnnlensError` or a
 * result (a TypeError, a RangeError, an out-of-memory), that takes longer than `maxMsPerInput`, or when
 * the process grows by more than `maxRssGrowthMb` — writing the offending input to a file so that it can
 * be replayed. Everything is seeded: the same seed gives the same inputs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnlensError, type ErrorCode } from '../../src/errors.js';
import { Random } from '../../src/util/random.js';

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40];
const INTERESTING_32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000, 0x7fff, 256, 1024, 65536 * 16];

const int = (rnd: Random, n: number) => Math.floor(rnd.next() * n);

/** One input, changed by 1 to `maxStack` stacked mutations. */
export function mutateBytes(src: Uint8Array, rnd: Random, dictionary: readonly Uint8Array[] = [], maxStack = 6): Uint8Array {
  let b: Uint8Array = src.slice();
  const stack = 1 + int(rnd, maxStack);
  for (let s = 0; s < stack; s++) {
    const n = b.length;
    switch (int(rnd, n === 0 ? 1 : 11) + (n === 0 ? 7 : 0)) {
      case 0: { // flip one bit
        const i = int(rnd, n);
        b[i] = b[i]! ^ (1 << int(rnd, 8));
        break;
      }
      case 1: // random byte
        b[int(rnd, n)] = int(rnd, 256);
        break;
      case 2: // interesting byte
        b[int(rnd, n)] = INTERESTING_8[int(rnd, INTERESTING_8.length)]!;
        break;
      case 3: { // interesting 32-bit (or 16-bit) value, either byte order
        if (n < 4) break;
        const i = int(rnd, n - 3);
        const v = INTERESTING_32[int(rnd, INTERESTING_32.length)]!;
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (rnd.next() < 0.5) dv.setInt32(i, v | 0, rnd.next() < 0.5);
        else dv.setUint16(i, v & 0xffff, rnd.next() < 0.5);
        break;
      }
      case 4: { // delete a block
        const i = int(rnd, n);
        const len = 1 + int(rnd, Math.min(n - i, 64));
        b = concat(b.subarray(0, i), b.subarray(i + len));
        break;
      }
      case 5: { // duplicate a block somewhere
        const i = int(rnd, n);
        const len = 1 + int(rnd, Math.min(n - i, 64));
        const at = int(rnd, n + 1);
        b = concat(b.subarray(0, at), b.slice(i, i + len), b.subarray(at));
        break;
      }
      case 6: // truncate
        b = b.slice(0, int(rnd, n));
        break;
      case 7: { // insert random bytes
        const at = int(rnd, n + 1);
        const ins = Uint8Array.from({ length: 1 + int(rnd, 16) }, () => int(rnd, 256));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 8: { // add or subtract a small number
        const i = int(rnd, n);
        b[i] = (b[i]! + int(rnd, 71) - 35) & 0xff;
        break;
      }
      default: { // overwrite with or insert a dictionary token
        if (dictionary.length === 0) { b[int(rnd, n)] = int(rnd, 256); break; }
        const tok = dictionary[int(rnd, dictionary.length)]!;
        const at = int(rnd, n + 1);
        b = rnd.next() < 0.5 ? concat(b.subarray(0, at), tok, b.subarray(at)) : concat(b.subarray(0, at), tok, b.subarray(Math.min(n, at + tok.length)));
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Values a structure-aware mutation puts into JSON documents: edge numbers, wrong types, huge sizes. */
const JSON_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1, 2, 3, 0.5, -0.0, 1e9, 2 ** 31, 2 ** 53, -(2 ** 31), 1e308, 'x', '', 'float32', 'int32',
  'uint8', 'uint16', 'float16', 'string', 'bool', 'same', 'valid', 'channels_first', 'channels_last', 'relu', 'softmax',
  'Conv2D', 'Dense', 'InputLayer', 'Sequential', 'Model', 'Functional', 'Flatten', 'Add', 'Concatenate', 'Lambda',
  [], [null], [null, 3], [1, 2], [-1], [0, 0, 0], [1e9, 1e9, 3], {}, { class_name: 'Dense', config: {} },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every (container, key) pair in the document, so a mutation can pick one uniformly. */
function slots(doc: Json, out: [Json[] | Record<string, Json>, string | number][] = []): [Json[] | Record<string, Json>, string | number][] {
  if (Array.isArray(doc)) doc.forEach((v, i) => { out.push([doc, i]); slots(v, out); });
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) { out.push([doc, k]); slots(v, out); }
  return out;
}

/** A structure-aware mutation of a JSON document (a deep copy is changed; the input is left alone). */
export function mutateJson(src: unknown, rnd: Random, maxStack = 3): unknown {
  const doc = structuredClone(src) as Json;
  const stack = 1 + int(rnd, maxStack);
  for (let s = 0; s < stack; s++) {
    const all = slots(doc);
    if (all.length === 0) break;
    const [parent, key] = all[int(rnd, all.length)]!;
    const get = () => (parent as Record<string | number, Json>)[key]!;
    const set = (v: Json) => { (parent as Record<string | number, Json>)[key] = v; };
    switch (int(rnd, 6)) {
      case 0: set(structuredClone(JSON_VALUES[int(rnd, JSON_VALUES.length)]) as Json); break;
      case 1: // delete
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<string, Json>)[key as string];
        break;
      case 2: { // put another subtree of the document here
        const [p2, k2] = all[int(rnd, all.length)]!;
        set(structuredClone((p2 as Record<string | number, Json>)[k2]!));
        break;
      }
      case 3: { // nudge a number, or change a string's type
        const v = get();
        if (typeof v === 'number') set(rnd.next() < 0.5 ? v + int(rnd, 5) - 2 : v * (int(rnd, 4) - 1) * 1000);
        else if (typeof v === 'string') set(rnd.next() < 0.5 ? v.slice(0, int(rnd, v.length + 1)) : 7);
        else set(JSON.stringify(v) as Json);
        break;
      }
      case 4: // duplicate an array element
        if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(get()));
        break;
      default: { // wrap in a list or object
        const v = get();
        set(rnd.next() < 0.5 ? [v] : { value: v });
      }
    }
  }
  return doc;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  /** an input slower than this fails the run (a hang in disguise); default 2000 ms */
  readonly maxMsPerInput?: number;
  /** resident memory may not grow beyond the start by more than this; default 768 MB */
  readonly maxRssGrowthMb?: number;
  /** typed error codes that may occur (default: any) */
  readonly codes?: readonly ErrorCode[];
}

export interface FuzzReport {
  readonly count: number;
  readonly typedErrors: number;
  readonly accepted: number;
  readonly ms: number;
  readonly slowestMs: number;
  readonly rssGrowthMb: number;
  readonly codes: Readonly<Record<string, number>>;
}

function keep(name: string, i: number, input: Uint8Array): string {
  const dir = join(tmpdir(), 'cnnlens-fuzz');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^\w.-]+/g, '_')}-${i}.bin`);
  writeFileSync(path, input);
  return path;
}

/**
 * Runs `target` on `count` inputs made by `make(i, rnd)` and checks each ends in a CnnlensError or a
 * result. Throws an Error naming the input (saved to a file) on the first violation.
 */
export async function fuzz(name: string, make: (i: number, rnd: Random) => Uint8Array, target: (input: Uint8Array) => unknown, options: FuzzOptions): Promise<FuzzReport> {
  const rnd = new Random(options.seed);
  const maxMs = options.maxMsPerInput ?? 2000;
  const maxRss = (options.maxRssGrowthMb ?? 768) * 2 ** 20;
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const codes: Record<string, number> = {};
  let typed = 0;
  let slowest = 0;
  const t0 = performance.now();
  for (let i = 0; i < options.count; i++) {
    const input = make(i, rnd);
    const t = performance.now();
    try {
      await target(input);
    } catch (e) {
      if (!(e instanceof CnnlensError)) {
        const path = keep(name, i, input);
        throw new Error(`${name}: input ${i} (seed ${options.seed}, saved as ${path}) ended in ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
      if (options.codes && !options.codes.includes(e.code)) {
        throw new Error(`${name}: input ${i} (saved as ${keep(name, i, input)}) gave error code ${e.code}, expected one of ${options.codes.join(', ')}: ${e.message}`);
      }
      codes[e.code] = (codes[e.code] ?? 0) + 1;
      typed++;
    }
    const ms = performance.now() - t;
    slowest = Math.max(slowest, ms);
    if (ms > maxMs) throw new Error(`${name}: input ${i} (saved as ${keep(name, i, input)}) took ${ms.toFixed(0)} ms (limit ${maxMs} ms).`);
    if ((i & 127) === 0) {
      const rss = process.memoryUsage.rss();
      peak = Math.max(peak, rss);
      if (rss - rss0 > maxRss) throw new Error(`${name}: resident memory grew by ${((rss - rss0) / 2 ** 20).toFixed(0)} MB after ${i + 1} inputs (input ${i} saved as ${keep(name, i, input)}).`);
    }
  }
  return {
    count: options.count,
    typedErrors: typed,
    accepted: options.count - typed,
    ms: performance.now() - t0,
    slowestMs: slowest,
    rssGrowthMb: (peak - rss0) / 2 ** 20,
    codes,
  };
}

/** One line for the test log. */
export function describe(name: string, r: FuzzReport): string {
  const codes = Object.entries(r.codes).map(([c, n]) => `${c} ${n}`).join(', ');
  return `${name}: ${r.count} inputs in ${(r.ms / 1000).toFixed(1)} s (slowest ${r.slowestMs.toFixed(0)} ms, RSS +${r.rssGrowthMb.toFixed(0)} MB): ${r.accepted} accepted, ${r.typedErrors} typed errors (${codes})`;
}

/** Input counts scale with CNNLENS_FUZZ_SCALE (default 1: the counts CI runs; 10 for a longer local hunt). */
export function scaled(n: number): number {
  const s = Number(process.env.CNNLENS_FUZZ_SCALE ?? 1);
  return Math.max(1, Math.round(n * (Number.isFinite(s) && s > 0 ? s : 1)));
}
