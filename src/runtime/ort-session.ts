/**
 * A RuntimeSession on an ORT InferenceSession, for onnxruntime-node and onnxruntime-web alike (both
 * re-export onnxruntime-common's `Tensor` and `InferenceSession`). The caller passes the ORT module's
 * `Tensor` constructor, so this file imports no runtime (types only) and bundles for the browser.
 * Feeds are checked and wrapped without copying, outputs checked and unwrapped, and every ORT failure
 * comes out as a CnnlensError: inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or fetch
 * names → TENSOR_NOT_FOUND, anything else → RUNTIME.
 */
import type { InferenceSession, Tensor, TensorConstructor } from 'onnxruntime-common';
import { CnnlensError, fail, listForMessage } from '../errors.js';
import { checkFeed, describeMeta, errorMessage, formatShape, hostOutput, toMetadata } from './ort-common.js';
import type { HostTensor, RuntimeSession, TensorMetadata } from './backend.js';

/** What differs between the ORT builds a session runs on. */
export interface OrtFlavour {
  /** the ORT module's `Tensor` constructor */
  readonly Tensor: TensorConstructor;
  /** ORT run messages that mean the feeds do not fit the graph's inputs */
  readonly inputMismatch: RegExp;
  /** ORT run messages that mean the session was already released */
  readonly releasedRun: RegExp;
  /** ORT release messages that mean there was nothing left to release */
  readonly releasedTwice: RegExp;
  /** appended to the message of a run that failed otherwise ('' for none) */
  readonly runAdvice: (msg: string) => string;
  /** one run at a time (ORT web sessions cannot run concurrently); Node sessions run side by side */
  readonly oneRunAtATime: boolean;
}

/** `create()` with ORT's failure as a RUNTIME error, with advice from ORT's message. */
export async function openOrtSession(create: () => Promise<InferenceSession>, advice: (msg: string) => string): Promise<InferenceSession> {
  try {
    return await create();
  } catch (e) {
    const msg = errorMessage(e);
    throw new CnnlensError('RUNTIME', `ONNX Runtime cannot run this graph: ${msg.replace(/\.$/, '')}.${advice(msg)}`, { cause: e });
  }
}

export class OrtSession implements RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  private released: Promise<void> | undefined;
  /** the last queued run, when runs go one at a time */
  private queue: Promise<unknown> | undefined;

  constructor(private readonly session: InferenceSession, private readonly flavour: OrtFlavour) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    this.inputMetadata = session.inputMetadata.map(toMetadata);
    this.outputMetadata = session.outputMetadata.map(toMetadata);
    if (flavour.oneRunAtATime) this.queue = Promise.resolve();
  }

  run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (!this.queue) return this.runNow(feeds, fetch);
    const next = this.queue.then(() => this.runNow(feeds, fetch));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.released) fail('RUNTIME', 'this session was released; compile the graph again.');
    const ortFeeds: Record<string, Tensor> = {};
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) fail('TENSOR_NOT_FOUND', `'${name}' is not an input of this graph; its inputs are: ${listForMessage(this.inputNames)}.`);
      const t = feeds[name]!;
      checkFeed(name, t);
      // ort.Tensor keeps a reference to the typed array (including subarray views): no copy
      ortFeeds[name] = new this.flavour.Tensor(t.type, t.data, t.dims);
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
    let result: InferenceSession.ReturnType;
    try {
      result = await this.session.run(ortFeeds, fetchNames);
    } catch (e) {
      throw this.runError(e, feeds);
    }
    const out: Record<string, HostTensor> = {};
    for (const name of fetchNames) {
      const v = result[name];
      if (!v) fail('RUNTIME', `ONNX Runtime returned no value for output '${name}'.`);
      // outputs stay on the GPU only when asked to; cnnlens never asks
      if (v.location !== 'cpu') fail('RUNTIME', `graph output '${name}' stayed on the ${v.location}; cnnlens reads outputs in host memory.`);
      out[name] = hostOutput(name, v);
    }
    // outputs not fetched were still computed: free them
    for (const [name, v] of Object.entries(result)) if (!fetchNames.includes(name)) v.dispose();
    return out;
  }

  private runError(e: unknown, feeds: Readonly<Record<string, HostTensor>>): CnnlensError {
    const msg = errorMessage(e);
    if (this.flavour.inputMismatch.test(msg)) {
      const named = /for input: (\S+)/.exec(msg)?.[1];
      const names = named && named in feeds ? [named] : Object.keys(feeds);
      const parts = names.map((n) => {
        const f = feeds[n]!;
        return `input '${n}': expected ${describeMeta(this.inputMetadata.find((m) => m.name === n))}, given ${f.type} ${formatShape(f.dims)}`;
      });
      return new CnnlensError('INPUT_SHAPE', `the input does not fit the model: ${parts.join('; ')}. (${msg})`, { cause: e });
    }
    if (this.flavour.releasedRun.test(msg)) return new CnnlensError('RUNTIME', 'this session was released; compile the graph again.', { cause: e });
    return new CnnlensError('RUNTIME', `ONNX Runtime failed while running the graph: ${msg}${this.flavour.runAdvice(msg)}`, { cause: e });
  }

  release(): Promise<void> {
    // idempotent: every call after the first returns the same promise; queued runs finish first
    this.released ??= (this.queue ? this.queue.then(() => this.session.release()) : this.session.release()).catch((e: unknown) => {
      if (!this.flavour.releasedTwice.test(errorMessage(e))) throw new CnnlensError('RUNTIME', `releasing the session failed: ${errorMessage(e)}`, { cause: e });
    });
    return this.released;
  }
}
