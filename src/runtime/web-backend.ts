/**
 * RuntimeBackend on onnxruntime-web (WebAssembly, threaded and SIMD when the page is cross-origin
 * isolated; WebGPU where the browser has it). The caller passes the `onnxruntime-web` module it loaded
 * (the WASM-only build, or the WebGPU build), so this file decides no bundling and reads no files.
 * Every ORT failure comes out as a CnnlensError, as from the Node backend: session creation → RUNTIME,
 * inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or fetch names → TENSOR_NOT_FOUND.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { CnnlensError, fail, listForMessage } from '../errors.js';
import {
  dataMatchesType,
  elementCount,
  type ElemType,
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

const HOST_TYPES: ReadonlySet<string> = new Set<ElemType>(['float32', 'float64', 'int64', 'int32', 'bool', 'uint8']);

/** Removes the C++ source location and function signature ORT prefixes to some messages. */
function cleanOrtMessage(message: string): string {
  let m = message.trim();
  const loc = /^\S+\.(?:h|hpp|cc|cpp|c):\d+\s+/.exec(m);
  if (loc) {
    m = m.slice(loc[0].length);
    const sig = /^[^()]*\((?:[^()]|\([^()]*\))*\)\s*(?:const\s+)?/.exec(m);
    if (sig && sig[0].includes('::')) m = m.slice(sig[0].length);
  }
  return m.replace(/\s+$/, '');
}

function errorMessage(e: unknown): string {
  return cleanOrtMessage(e instanceof Error ? e.message : String(e));
}

function creationAdvice(msg: string): string {
  if (/protobuf parsing failed|Failed to load model|Can't create a session/i.test(msg)) return ' The bytes are not a readable ONNX model.';
  if (/No Op registered|not implemented|Could not find an implementation/i.test(msg)) {
    return ' The graph uses an operator (or an operator version) this ONNX Runtime does not implement; re-export the model with a standard opset (11–21) and standard operators.';
  }
  if (/opset/i.test(msg)) return ' Re-export the model with an officially released opset (11–21 are well supported).';
  if (/Type Error|ShapeInferenceError|type mismatch/i.test(msg)) return ' The graph is not well typed; it may have been edited or exported incorrectly.';
  if (/memory|Aborted\(\)|OOM/i.test(msg)) return ' The browser ran out of WebAssembly memory (4 GB at most); try a smaller model or batch.';
  return '';
}

function formatShape(shape: readonly (number | string | null)[] | undefined): string {
  if (!shape) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function describeMeta(m: TensorMetadata | undefined): string {
  return m ? `${m.type} ${formatShape(m.shape)}` : 'unknown';
}

function toMetadata(m: OrtWeb.InferenceSession.ValueMetadata): TensorMetadata {
  return m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor' };
}

function toOrt(ort: OrtWebModule, name: string, t: HostTensor): OrtWeb.Tensor {
  if (!HOST_TYPES.has(t.type)) fail('INPUT_SHAPE', `input '${name}' has element type '${String(t.type)}'; cnnlens feeds float32, float64, int64, int32, uint8 or bool.`);
  if (!dataMatchesType(t.type, t.data)) fail('INPUT_SHAPE', `input '${name}' is declared ${t.type} but holds a ${t.data.constructor.name}.`);
  if (!t.dims.every((d) => Number.isInteger(d) && d >= 0)) fail('INPUT_SHAPE', `input '${name}' has invalid dims ${formatShape(t.dims)}.`);
  const n = elementCount(t.dims);
  if (n !== t.data.length) fail('INPUT_SHAPE', `input '${name}' has dims ${formatShape(t.dims)} (${n} values) but ${t.data.length} values of data.`);
  return new ort.Tensor(t.type, t.data as never, [...t.dims]);
}

function fromOrt(name: string, v: OrtWeb.Tensor): HostTensor {
  const type = v.type as string;
  if (!HOST_TYPES.has(type)) {
    fail('RUNTIME', `graph output '${name}' has element type ${type}, which cnnlens does not read; make the graph output float32, float64, int64, int32, uint8 or bool (e.g. with a Cast).`);
  }
  if (v.location !== 'cpu') fail('RUNTIME', `graph output '${name}' stayed on the ${v.location}; cnnlens reads outputs in host memory.`);
  const data = v.data;
  if (type === 'bool' && !(data instanceof Uint8Array)) fail('RUNTIME', `graph output '${name}' (bool) did not come back as bytes.`);
  return { type: type as ElemType, dims: [...v.dims], data: data as HostTensor['data'] };
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
    return new CnnlensError('RUNTIME', `ONNX Runtime failed while running the graph: ${msg}${creationAdvice(msg)}`, { cause: e });
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
        throw new CnnlensError('RUNTIME', `ONNX Runtime cannot run this graph: ${msg.replace(/\.$/, '')}.${creationAdvice(msg)}`, { cause: e });
      }
      return new WebSession(ort, session);
    },
  };
}
