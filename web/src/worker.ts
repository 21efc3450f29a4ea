/**
 * The engine worker: holds the model, its compiled sessions and the current image, and runs the
 * library's `explain` (and `forward` for the layer browser) on onnxruntime-web, off the page's thread.
 * Cancelling aborts between the chunks of a multi-pass method.
 */
/// <reference lib="webworker" />
import { CnnlensError, channel, explain, forward, preprocess, fitToInput, toPicture, visualize, type HostTensor, type ImageModel, type RuntimeBackend } from './lib.js';
import { configureWebRuntime, webBackend, type OrtWebModule } from '../../src/runtime/web-backend.js';
import { decodeImage } from './decode-image.js';
import { loadExplorerModel } from './load-model.js';
import type { ExplainOutput, ImageSummary, MapTensor, PredictOutput, Reply, Request, Responses, RuntimeSummary, WireError } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

/** Memory one runtime call may use: chunks stay small so progress and cancel stay responsive. */
const MEMORY_BUDGET = 384 * 2 ** 20;

let backend: RuntimeBackend | undefined;
let model: ImageModel | undefined;
let image: { name: string; input: HostTensor } | undefined;
const running = new Map<number, AbortController>();
const compiled = { count: 0, ms: 0 };
let cancelFlag: Int32Array | undefined;

function post(reply: Reply, transfer: Transferable[] = []): void {
  self.postMessage(reply, transfer);
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new CnnlensError('USAGE', what);
  return v;
}

function toWire(e: unknown): WireError {
  if (e instanceof CnnlensError) return { code: e.code, message: e.message };
  if (e instanceof DOMException && e.name === 'AbortError') return { code: 'CANCELLED', message: 'cancelled' };
  return { code: 'INTERNAL', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

function mapTensor(t: HostTensor): MapTensor {
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
  return { dims: [...t.dims], data };
}

async function hasGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  try {
    return gpu !== undefined && (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

async function init(req: Extract<Request, { type: 'init' }>): Promise<RuntimeSummary> {
  const ort: OrtWebModule = req.ep === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  const configured = configureWebRuntime(ort, { wasmPaths: req.wasmPaths, ...(req.threads ? { threads: req.threads } : {}) });
  // the API may exist without a usable GPU (headless, blocklisted drivers): ask for an adapter
  const info = { ...configured, webgpu: configured.webgpu && (await hasGpuAdapter()) };
  if (req.ep === 'webgpu' && !info.webgpu) {
    throw new CnnlensError('RUNTIME', 'WebGPU was asked for (?ep=webgpu), but this browser gives the page no GPU adapter; open the page without ?ep=webgpu to run on WebAssembly.');
  }
  cancelFlag = req.cancelFlag;
  const inner = webBackend(ort, req.ep, { allowSpinning: req.spin ?? false });
  // sessions created (graphs compiled by ORT) and the time spent, for the page's status line
  backend = {
    name: inner.name,
    async createSession(bytes, options) {
      const t = performance.now();
      try {
        return await inner.createSession(bytes, options);
      } finally {
        compiled.count++;
        compiled.ms += performance.now() - t;
      }
    },
  };
  return { backend: backend.name, ...info };
}

async function setImage(req: Extract<Request, { type: 'setImage' }>): Promise<ImageSummary> {
  const m = need(model, 'load a model first.');
  const picture = await decodeImage(req.file, req.name);
  const input = preprocess([picture], m.input);
  image = { name: req.name, input };
  return { name: req.name, width: picture.width, height: picture.height, fitted: fitToInput(picture, m.input).image };
}

async function predict(): Promise<PredictOutput> {
  const m = need(model, 'load a model first.');
  const img = need(image, 'choose a picture first.');
  const r = await explain(m, img.input, { backend: need(backend, 'the runtime is not ready.'), methods: [], top: Math.min(5, m.output.classes), memoryBudgetBytes: MEMORY_BUDGET });
  return { predictions: r.predictions[0]!, forwardMs: r.forwardMs };
}

async function runExplain(id: number, req: Extract<Request, { type: 'explain' }>): Promise<ExplainOutput> {
  const m = need(model, 'load a model first.');
  const img = need(image, 'choose a picture first.');
  const ctrl = new AbortController();
  running.set(id, ctrl);
  const t0 = performance.now();
  const before = { ...compiled };
  let last = 0;
  try {
    const r = await explain(m, img.input, {
      backend: need(backend, 'the runtime is not ready.'),
      methods: req.request.methods,
      ...(req.request.target !== undefined ? { target: req.request.versus !== undefined ? { of: req.request.target, minus: req.request.versus } : req.request.target } : {}),
      ...(req.request.layer ? { layer: req.request.layer } : {}),
      methodOptions: req.request.methodOptions,
      top: Math.min(5, m.output.classes),
      memoryBudgetBytes: MEMORY_BUDGET,
      signal: ctrl.signal,
      onProgress: (done, total) => {
        if (cancelFlag && Atomics.load(cancelFlag, 0) === id) ctrl.abort();
        const now = performance.now();
        if (done < total && now - last < 50) return;
        last = now;
        post({ id, progress: { done, total, step: '' } });
      },
    });
    const t = r.targets[0]!;
    return {
      predictions: r.predictions[0]!,
      target: { index: t.index, ...(t.minus !== undefined ? { minus: t.minus } : {}), label: t.label, score: t.score },
      ...(r.layer ? { layer: { name: r.layer.name, tensor: r.layer.tensor, isDefault: r.layer.isDefault } } : {}),
      results: r.results.map((x) => ({
        method: x.method,
        map: mapTensor(x.map),
        ...(x.layerMap ? { layerMap: mapTensor(x.layerMap) } : {}),
        ...(x.extra?.values ? { values: x.extra.values } : {}),
        ms: x.ms,
      })),
      forwardMs: r.forwardMs,
      totalMs: performance.now() - t0,
      compiled: { count: compiled.count - before.count, ms: compiled.ms - before.ms },
    };
  } finally {
    running.delete(id);
  }
}

async function activations(req: Extract<Request, { type: 'activations' }>): Promise<MapTensor> {
  const m = need(model, 'load a model first.');
  const img = need(image, 'choose a picture first.');
  const r = await forward(m, img.input, [req.tensor], { backend: need(backend, 'the runtime is not ready.'), memoryBudgetBytes: MEMORY_BUDGET });
  return mapTensor(need(r.tensors[req.tensor], `'${req.tensor}' was not computed.`));
}

async function visualizeUnit(id: number, req: Extract<Request, { type: 'visualizeUnit' }>): Promise<Responses['visualizeUnit']> {
  const m = need(model, 'load a model first.');
  const ctrl = new AbortController();
  running.set(id, ctrl);
  let last = 0;
  try {
    const r = await visualize(m, {
      backend: need(backend, 'the runtime is not ready.'),
      objective: channel(req.tensor, req.unit),
      steps: req.steps,
      signal: ctrl.signal,
      onProgress: (step, steps) => {
        if (cancelFlag && Atomics.load(cancelFlag, 0) === id) ctrl.abort();
        const now = performance.now();
        if (step < steps && now - last < 100) return;
        last = now;
        post({ id, progress: { done: step, total: steps, step: 'steps' } });
      },
    });
    return { image: toPicture(r.images, 0), start: r.start[0]!, end: r.end[0]!, ms: r.ms };
  } finally {
    running.delete(id);
  }
}

async function handle(id: number, req: Request): Promise<unknown> {
  switch (req.type) {
    case 'init': return init(req);
    case 'loadModel': {
      const loaded = await loadExplorerModel(req.model);
      model = loaded.model;
      image = undefined;
      return loaded.summary;
    }
    case 'setImage': return setImage(req);
    case 'predict': return predict();
    case 'explain': return runExplain(id, req);
    case 'activations': return activations(req);
    case 'visualizeUnit': return visualizeUnit(id, req);
    case 'cancel':
      running.get(req.target)?.abort();
      return null;
  }
}

self.onmessage = (ev: MessageEvent<{ id: number; req: Request }>) => {
  const { id, req } = ev.data;
  handle(id, req).then(
    (value) => {
      const transfer: Transferable[] = [];
      if (req.type === 'explain') for (const r of (value as ExplainOutput).results) transfer.push(r.map.data.buffer as ArrayBuffer, ...(r.layerMap ? [r.layerMap.data.buffer as ArrayBuffer] : []));
      post({ id, ok: true, value }, [...new Set(transfer)]);
    },
    (e: unknown) => post({ id, ok: false, error: toWire(e) }),
  );
};
