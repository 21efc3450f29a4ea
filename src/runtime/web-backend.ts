/**
 * RuntimeBackend on onnxruntime-web (WebAssembly, threaded and SIMD when the page is cross-origin
 * isolated; WebGPU where the browser has it). The caller passes the `onnxruntime-web` module it loaded
 * (the WASM-only build, or the WebGPU build), so this file decides no bundling and reads no files.
 * Every ORT failure comes out as a CnnlensError, as from the Node backend: session creation → RUNTIME,
 * inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or fetch names → TENSOR_NOT_FOUND.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { fail } from '../errors.js';
import { creationAdvice } from './ort-common.js';
import { openOrtSession, OrtSession, type OrtFlavour } from './ort-session.js';
import type { RuntimeBackend, RuntimeSession, SessionOptions } from './backend.js';

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

/**
 * A RuntimeBackend on the given onnxruntime-web module. `executionProvider` 'webgpu' runs the graph on
 * the GPU where ORT has kernels and on WASM elsewhere; it needs the module's WebGPU build.
 * SessionOptions.threads is ignored: WASM threads are global to the page (configureWebRuntime).
 */
export function webBackend(ort: OrtWebModule, executionProvider: WebExecutionProvider = 'wasm', options: { readonly allowSpinning?: boolean } = {}): RuntimeBackend {
  const spin = options.allowSpinning ? '1' : '0';
  const flavour: OrtFlavour = {
    Tensor: ort.Tensor,
    inputMismatch: /Got invalid dimensions|Invalid rank for input|Unexpected input data type|input tensor.*type/i,
    releasedRun: /Session already disposed|session.*released/i,
    releasedTwice: /already disposed|released/i,
    runAdvice: webAdvice,
    // ORT web sessions run one call at a time
    oneRunAtATime: true,
  };
  return {
    name: `onnxruntime-web (${executionProvider})`,
    async createSession(modelBytes: Uint8Array, _options?: SessionOptions): Promise<RuntimeSession> {
      const session = await openOrtSession(
        () =>
          ort.InferenceSession.create(modelBytes, {
            executionProviders: executionProvider === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
            graphOptimizationLevel: 'all',
            executionMode: 'sequential',
            logSeverityLevel: 3,
            extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
          }),
        webAdvice,
      );
      return new OrtSession(session, flavour);
    },
  };
}
