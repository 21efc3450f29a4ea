/**
 * RuntimeBackend on onnxruntime-web (WebAssembly, threaded and SIMD when the page is cross-origin
 * isolated; WebGPU where the browser has it). The caller passes the `onnxruntime-web` module it loaded
 * (the WASM-only build, or the WebGPU build), so this file decides no bundling and reads no files.
 * Every ORT failure comes out as a CnnlensError, as from the Node backend: session creation → RUNTIME,
 * inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or fetch names → TENSOR_NOT_FOUND.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { CnnlensError, fail, listForMessage } from '../errors.js';
import { checkFeed, creationAdvice, describeMeta, errorMessage, formatShape, hostOutput, toMetadata } from './ort-common.js';
import {
  type HostTensor,
  type RuntimeBackend,
  type RuntimeSession,
  type SessionOptions,
  type TensorMetadata,
} from './backend.js';

/** The parts of the `onnxruntime-web` module this backend uses. */
export type OrtWebModule = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor' | 'env'>;

export type WebExecutionProvider = 'wasm' | 'webgpu';

export interface WebRuntimeConfig {
  /**
   * where ORT's `ort-wasm-simd-threaded*.mjs` / `.wasm` files are served (a URL prefix ending in '/');
   * the page serves them itself, never from a CDN
   */
  readonly wasmPaths: string;
  /**
   * WASM threads; default (as ORT's own): half the cores, 1 to 4, when the page is cross-origin
   * isolated (threads need it), else 1. On 2 cores, 2 threads ran MobileNetV2's Grad-CAM 1.7x and
   * IG-50 2.2x slower than 1: WASM threads wait on each other far more than native ones.
   */
  readonly threads?: number;
}

/** What the runtime found it can do, for the page to show. */
export interface WebRuntimeInfo {
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  readonly webgpu: boolean;
}

interface Env {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number; gpu?: unknown };
}

/** Sets ORT's global WASM options; call once, before the first session. */
export function configureWebRuntime(ort: OrtWebModule, config: WebRuntimeConfig): WebRuntimeInfo {
  const g = globalThis as unknown as Env;
  const isolated = g.crossOriginIsolated === true;
  const cores = Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  const threads = config.threads ?? (isolated ? Math.min(4, Math.ceil(cores / 2)) : 1);
  if (!Number.isInteger(threads) || threads < 1) fail('USAGE', `threads must be a positive integer, got ${String(threads)}.`);
  if (threads > 1 && !isolated) {
    fail('RUNTIME', `${threads} WebAssembly threads need a cross-origin isolated page (served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); 'cnnlens serve' sends them.`);
  }
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = config.wasmPaths;
  // the explorer already runs the engine in its own worker
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return { threads, crossOriginIsolated: isolated, webgpu: g.navigator?.gpu !== undefined };
}

/** What to do about a failure, from ORT's message: the shared advice, and the browser's memory limit. */
function webAdvice(msg: string): string {
  if (/Can't create a session/i.test(msg)) return ' The bytes are not a readable ONNX model.';
  const shared = creationAdvice(msg);
  if (shared) return shared;
  if (/memory|Aborted\(\)|OOM/i.test(msg)) return ' The browser ran out of WebAssembly memory (4 GB at most); try a smaller model or batch.';
  return '';
}

function toOrt(ort: OrtWebModule, name: string, t: HostTensor): OrtWeb.Tensor {
  checkFeed(name, t);
  return new ort.Tensor(t.type, t.data as never, [...t.dims]);
}

function fromOrt(name: string, v: OrtWeb.Tensor): HostTensor {
  if (v.location !== 'cpu') fail('RUNTIME', `graph output '${name}' stayed on the ${v.location}; cnnlens reads outputs in host memory.`);
  return hostOutput(name, v);
}

class WebSession implements RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  private released: Promise<void> | undefined;
  /** ORT web sessions run one call at a time */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ort: OrtWebModule, private readonly session: OrtWeb.InferenceSession) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    this.inputMetadata = session.inputMetadata.map(toMetadata);
    this.outputMetadata = session.outputMetadata.map(toMetadata);
  }

  run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    const next = this.queue.then(() => this.runNow(feeds, fetch));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.released) fail('RUNTIME', 'this session was released; compile the graph again.');
    const ortFeeds: Record<string, OrtWeb.Tensor> = {};
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) fail('TENSOR_NOT_FOUND', `'${name}' is not an input of this graph; its inputs are: ${listForMessage(this.inputNames)}.`);
      ortFeeds[name] = toOrt(this.ort, name, feeds[name]!);
    }
    const missing = this.inputNames.filter((n) => !(n in feeds));
    if (missing.length) {
      const want = missing.map((n) => `'${n}' (${describeMeta(this.inputMetadata.find((m) => m.name === n))})`);
      fail('INPUT_SHAPE', `the graph needs input ${want.join(', ')}, which was not given.`);
    }
    const fetchNames = fetch ? [...fetch] : [...this.outputNames];
    for (const name of fetchNames) {
      if (!this.outputNames.includes(name)) fail('TENSOR_NOT_FOUND', `'${name}' is not an output of this graph; its outputs are: ${listForMessage(this.outputNames)}.`);
    }
    if (fetchNames.length === 0) return {};
    let result: OrtWeb.InferenceSession.ReturnType;
    try {
      result = await this.session.run(ortFeeds, fetchNames);
    } catch (e) {
      throw this.runError(e, feeds);
    }
    const out: Record<string, HostTensor> = {};
    for (const name of fetchNames) {
      const v = result[name];
      if (!v) fail('RUNTIME', `ONNX Runtime returned no value for output '${name}'.`);
      out[name] = fromOrt(name, v);
    }
    // outputs not fetched were still computed: free them
    for (const [name, v] of Object.entries(result)) if (!fetchNames.includes(name)) v.dispose();
    return out;
  }

  private runError(e: unknown, feeds: Readonly<Record<string, HostTensor>>): CnnlensError {
    const msg = errorMessage(e);
    if (/Got invalid dimensions|Invalid rank for input|Unexpected input data type|input tensor.*type/i.test(msg)) {
      const named = /for input: (\S+)/.exec(msg)?.[1];
      const names = named && named in feeds ? [named] : Object.keys(feeds);
      const parts = names.map((n) => {
        const f = feeds[n]!;
        return `input '${n}': expected ${describeMeta(this.inputMetadata.find((m) => m.name === n))}, given ${f.type} ${formatShape(f.dims)}`;
      });
      return new CnnlensError('INPUT_SHAPE', `the input does not fit the model: ${parts.join('; ')}. (${msg})`, { cause: e });
    }
    if (/Session already disposed|session.*released/i.test(msg)) return new CnnlensError('RUNTIME', 'this session was released; compile the graph again.', { cause: e });
    return new CnnlensError('RUNTIME', `ONNX Runtime failed while running the graph: ${msg}${webAdvice(msg)}`, { cause: e });
  }

  release(): Promise<void> {
    this.released ??= this.queue.then(() => this.session.release()).catch((e: unknown) => {
      if (!/already disposed|released/i.test(errorMessage(e))) throw new CnnlensError('RUNTIME', `releasing the session failed: ${errorMessage(e)}`, { cause: e });
    });
    return this.released;
  }
}

/**
 * A RuntimeBackend on the given onnxruntime-web module. `executionProvider` 'webgpu' runs the graph on
 * the GPU where ORT has kernels and on WASM elsewhere; it needs the module's WebGPU build.
 * SessionOptions.threads is ignored: WASM threads are global to the page (configureWebRuntime).
 */
export function webBackend(ort: OrtWebModule, executionProvider: WebExecutionProvider = 'wasm', options: { readonly allowSpinning?: boolean } = {}): RuntimeBackend {
  const spin = options.allowSpinning ? '1' : '0';
  return {
    name: `onnxruntime-web (${executionProvider})`,
    async createSession(modelBytes: Uint8Array, _options?: SessionOptions): Promise<RuntimeSession> {
      let session: OrtWeb.InferenceSession;
      try {
        session = await ort.InferenceSession.create(modelBytes, {
          executionProviders: executionProvider === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
          graphOptimizationLevel: 'all',
          executionMode: 'sequential',
          logSeverityLevel: 3,
          extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
        });
      } catch (e) {
        const msg = errorMessage(e);
        throw new CnnlensError('RUNTIME', `ONNX Runtime cannot run this graph: ${msg.replace(/\.$/, '')}.${webAdvice(msg)}`, { cause: e });
      }
      return new WebSession(ort, session);
    },
  };
}
