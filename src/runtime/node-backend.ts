/**
 * RuntimeBackend on onnxruntime-node (CPU). Every ORT failure comes out as a CnnlensError:
 * session creation → RUNTIME, inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or
 * fetch names → TENSOR_NOT_FOUND.
 */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
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

const HOST_TYPES: ReadonlySet<string> = new Set<ElemType>(['float32', 'float64', 'int64', 'int32', 'bool', 'uint8']);

/** Default intra-op threads: all cores the process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** The ORT session options cnnlens creates every session with. */
export function ortSessionOptions(options: SessionOptions | undefined): ort.InferenceSession.SessionOptions {
  const threads = options?.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) fail('USAGE', `threads must be a positive integer, got ${String(threads)}.`);
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Spinning threads burn the cores other work needs; under contention ORT ran 1.5–2× slower with it.
    // The Node binding flattens nested keys to 'session.intra_op.allow_spinning'; values must be strings.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    // warnings (e.g. about unused initializers) would clutter command-line output
    logSeverityLevel: 3,
  };
}

/** Removes the C++ source location and function signature ORT prefixes to some messages. */
export function cleanOrtMessage(message: string): string {
  let m = message.trim();
  const loc = /^\S+\.(?:h|hpp|cc|cpp|c):\d+\s+/.exec(m);
  if (loc) {
    m = m.slice(loc[0].length);
    // then "ret_type ns::fn(args...) [const]" before the actual message
    const sig = /^[^()]*\((?:[^()]|\([^()]*\))*\)\s*(?:const\s+)?/.exec(m);
    if (sig && sig[0].includes('::')) m = m.slice(sig[0].length);
  }
  return m.replace(/\s+$/, '');
}

function errorMessage(e: unknown): string {
  return cleanOrtMessage(e instanceof Error ? e.message : String(e));
}

function creationAdvice(msg: string): string {
  if (/protobuf parsing failed|Failed to load model/i.test(msg)) return ' The bytes are not a readable ONNX model.';
  if (/No Op registered|not implemented|Could not find an implementation/i.test(msg)) {
    return ' The graph uses an operator (or an operator version) this ONNX Runtime does not implement; re-export the model with a standard opset (11–21) and standard operators.';
  }
  if (/opset/i.test(msg)) return ' Re-export the model with an officially released opset (11–21 are well supported).';
  if (/Type Error|ShapeInferenceError|type mismatch/i.test(msg)) return ' The graph is not well typed; it may have been edited or exported incorrectly.';
  return '';
}

export function formatShape(shape: readonly (number | string | null)[] | undefined): string {
  if (!shape) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function describeMeta(m: TensorMetadata | undefined): string {
  return m ? `${m.type} ${formatShape(m.shape)}` : 'unknown';
}

function toMetadata(m: ort.InferenceSession.ValueMetadata): TensorMetadata {
  return m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor' };
}

function toOrt(name: string, t: HostTensor): ort.Tensor {
  if (!HOST_TYPES.has(t.type)) fail('INPUT_SHAPE', `input '${name}' has element type '${String(t.type)}'; cnnlens feeds float32, float64, int64, int32, uint8 or bool.`);
  if (!dataMatchesType(t.type, t.data)) {
    fail('INPUT_SHAPE', `input '${name}' is declared ${t.type} but holds a ${t.data.constructor.name}.`);
  }
  if (!t.dims.every((d) => Number.isInteger(d) && d >= 0)) fail('INPUT_SHAPE', `input '${name}' has invalid dims ${formatShape(t.dims)}.`);
  const n = elementCount(t.dims);
  if (n !== t.data.length) {
    fail('INPUT_SHAPE', `input '${name}' has dims ${formatShape(t.dims)} (${n} values) but ${t.data.length} values of data.`);
  }
  // ort.Tensor keeps a reference to the typed array (including subarray views): no copy
  return new ort.Tensor(t.type, t.data, t.dims);
}

function fromOrt(name: string, v: ort.OnnxValue): HostTensor {
  const type = v.type as string;
  if (!HOST_TYPES.has(type)) {
    fail('RUNTIME', `graph output '${name}' has element type ${type}, which cnnlens does not read; make the graph output float32, float64, int64, int32, uint8 or bool (e.g. with a Cast).`);
  }
  const data = v.data;
  if (type === 'bool' && !(data instanceof Uint8Array)) fail('RUNTIME', `graph output '${name}' (bool) did not come back as bytes.`);
  return { type: type as ElemType, dims: [...v.dims], data: data as HostTensor['data'] };
}

class NodeSession implements RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  private released: Promise<void> | undefined;

  constructor(private readonly session: ort.InferenceSession) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    this.inputMetadata = session.inputMetadata.map(toMetadata);
    this.outputMetadata = session.outputMetadata.map(toMetadata);
  }

  async run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.released) fail('RUNTIME', 'this session was released; compile the graph again.');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        fail('TENSOR_NOT_FOUND', `'${name}' is not an input of this graph; its inputs are: ${listForMessage(this.inputNames)}.`);
      }
      ortFeeds[name] = toOrt(name, feeds[name]!);
    }
    const missing = this.inputNames.filter((n) => !(n in feeds));
    if (missing.length) {
      const want = missing.map((n) => `'${n}' (${describeMeta(this.inputMetadata.find((m) => m.name === n))})`);
      fail('INPUT_SHAPE', `the graph needs input ${want.join(', ')}, which was not given.`);
    }
    const fetchNames = fetch ? [...fetch] : [...this.outputNames];
    for (const name of fetchNames) {
      if (!this.outputNames.includes(name)) {
        fail('TENSOR_NOT_FOUND', `'${name}' is not an output of this graph; its outputs are: ${listForMessage(this.outputNames)}.`);
      }
    }
    if (fetchNames.length === 0) return {};
    let result: ort.InferenceSession.ReturnType;
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
    return out;
  }

  private runError(e: unknown, feeds: Readonly<Record<string, HostTensor>>): CnnlensError {
    const msg = errorMessage(e);
    if (/Got invalid dimensions|Invalid rank for input|Unexpected input data type/i.test(msg)) {
      const named = /for input: (\S+)/.exec(msg)?.[1];
      const names = named && named in feeds ? [named] : Object.keys(feeds);
      const parts = names.map((n) => {
        const f = feeds[n]!;
        return `input '${n}': expected ${describeMeta(this.inputMetadata.find((m) => m.name === n))}, given ${f.type} ${formatShape(f.dims)}`;
      });
      return new CnnlensError('INPUT_SHAPE', `the input does not fit the model: ${parts.join('; ')}. (${msg})`, { cause: e });
    }
    if (/Session already disposed/i.test(msg)) return new CnnlensError('RUNTIME', 'this session was released; compile the graph again.', { cause: e });
    return new CnnlensError('RUNTIME', `ONNX Runtime failed while running the graph: ${msg}`, { cause: e });
  }

  release(): Promise<void> {
    // idempotent: every call after the first returns the same promise
    this.released ??= this.session.release().catch((e: unknown) => {
      if (!/already disposed/i.test(errorMessage(e))) throw new CnnlensError('RUNTIME', `releasing the session failed: ${errorMessage(e)}`, { cause: e });
    });
    return this.released;
  }
}

export const nodeBackend: RuntimeBackend = {
  name: 'onnxruntime-node',
  async createSession(modelBytes: Uint8Array, options?: SessionOptions): Promise<RuntimeSession> {
    const opts = ortSessionOptions(options);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, opts);
    } catch (e) {
      const msg = errorMessage(e);
      throw new CnnlensError('RUNTIME', `ONNX Runtime cannot run this graph: ${msg.replace(/\.$/, '')}.${creationAdvice(msg)}`, { cause: e });
    }
    return new NodeSession(session);
  },
};
