/**
 * The worker thread behind `h5-in-worker.ts`: its own h5wasm instance reads the HDF5 files the main
 * thread sends and posts back plain data, handing the weights' ArrayBuffers over instead of copying
 * them. A failure says whether the instance is still sound: an error HDF5 itself reported leaves it
 * so; a WebAssembly trap, or any other error from inside h5wasm, may have broken its heap, and the
 * main thread then ends this worker.
 */
import { parentPort } from 'node:worker_threads';
import { CnnlensError } from '../errors.js';
import type { WeightArray } from './types.js';

// emscripten binds its output to console.log / console.error when h5wasm loads and prints there on an
// abort ('Aborted()'); the trap itself reaches the caller, so the worker keeps quiet instead
console.log = console.error = console.warn = () => undefined;
const { hdf5Ready, inProcessHdf5 } = await import('./h5.js');

/** What the main thread sends. */
export type H5Job =
  | { readonly id: number; readonly kind: 'model'; readonly bytes: Uint8Array; readonly what: string }
  | { readonly id: number; readonly kind: 'vars'; readonly bytes: Uint8Array; readonly what: string; readonly groups: readonly string[] };

/** What the worker posts: `ready` once, then one reply per job. */
export type H5Reply =
  | { readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      /** a CnnlensError's code and message, or undefined when something other than a CnnlensError was thrown */
      readonly code?: CnnlensError['code'];
      readonly message: string;
      /** set when the reader may be broken: a WebAssembly trap or another error from inside h5wasm */
      readonly broken?: string;
    };

/** Describes an error that may have left the WebAssembly instance broken, or undefined for a sound one. */
function brokenBy(e: unknown): string | undefined {
  const cause = e instanceof CnnlensError ? e.cause : e;
  if (e instanceof CnnlensError && cause === undefined) return undefined; // our own checks
  // HDF5's error stack and h5wasm's own checks arrive as plain Errors; a SyntaxError is a config's JSON
  if (cause instanceof Error && (cause.constructor === Error || cause instanceof SyntaxError)) return undefined;
  if (cause instanceof WebAssembly.RuntimeError) return `WebAssembly trap: ${cause.message}`;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** The weights' buffers, each holding exactly its array (copied where an array views a larger one). */
function ownBuffers(arrays: Iterable<WeightArray>): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  const out: ArrayBuffer[] = [];
  for (const a of arrays) {
    let data = a.data;
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || seen.has(data.buffer) || !(data.buffer instanceof ArrayBuffer)) {
      data = data.slice();
      (a as { data: Float32Array }).data = data;
    }
    seen.add(data.buffer);
    out.push(data.buffer as ArrayBuffer);
  }
  return out;
}

async function run(job: H5Job): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  if (job.kind === 'model') {
    const result = await inProcessHdf5.readModel(job.bytes, job.what);
    return { result, transfer: ownBuffers(result.layers.flatMap(([, named]) => named.map((n) => n.array))) };
  }
  const result = await inProcessHdf5.readVars(job.bytes, job.what, job.groups);
  return { result, transfer: ownBuffers(result.flatMap(([, arrays]) => arrays)) };
}

const port = parentPort;
if (port === null) throw new Error('h5-worker.ts runs as a worker thread (see h5-in-worker.ts)');
await hdf5Ready();
port.on('message', (job: H5Job) => {
  run(job).then(
    ({ result, transfer }) => port.postMessage({ id: job.id, ok: true, result } satisfies H5Reply, transfer),
    (e: unknown) => {
      const broken = brokenBy(e);
      const reply: H5Reply = e instanceof CnnlensError
        ? { id: job.id, ok: false, code: e.code, message: e.message, ...(broken !== undefined ? { broken } : {}) }
        : { id: job.id, ok: false, message: String(e instanceof Error ? e.message : e), broken: broken ?? 'unknown error' };
      port.postMessage(reply);
    },
  );
});
port.postMessage({ ready: true } satisfies H5Reply);
