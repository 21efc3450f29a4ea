/**
 * RuntimeBackend on onnxruntime-node (CPU). Every ORT failure comes out as a CnnlensError:
 * session creation → RUNTIME, inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or
 * fetch names → TENSOR_NOT_FOUND.
 */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { CnnlensError, fail, listForMessage } from '../errors.js';
import { checkFeed, creationAdvice, describeMeta, errorMessage, formatShape, hostOutput, toMetadata } from './ort-common.js';
import {
  type HostTensor,
  type RuntimeBackend,
  type RuntimeSession,
  type SessionOptions,
  type TensorMetadata,
} from './backend.js';

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

function toOrt(name: string, t: HostTensor): ort.Tensor {
  checkFeed(name, t);
  // ort.Tensor keeps a reference to the typed array (including subarray views): no copy
  return new ort.Tensor(t.type, t.data, t.dims);
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
      out[name] = hostOutput(name, v as ort.Tensor);
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

// kept where callers and tests import them from
export { cleanOrtMessage, formatShape } from './ort-common.js';
