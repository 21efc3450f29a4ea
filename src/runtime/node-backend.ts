/**
 * RuntimeBackend on onnxruntime-node (CPU). Every ORT failure comes out as a CnnlensError:
 * session creation → RUNTIME, inputs of the wrong shape or type → INPUT_SHAPE, unknown feed or
 * fetch names → TENSOR_NOT_FOUND.
 */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { fail } from '../errors.js';
import { creationAdvice } from './ort-common.js';
import { openOrtSession, OrtSession, type OrtFlavour } from './ort-session.js';
import type { RuntimeBackend, RuntimeSession, SessionOptions } from './backend.js';

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

/** How onnxruntime-node sessions run and fail. */
const nodeFlavour: OrtFlavour = {
  Tensor: ort.Tensor,
  inputMismatch: /Got invalid dimensions|Invalid rank for input|Unexpected input data type/i,
  releasedRun: /Session already disposed/i,
  releasedTwice: /already disposed/i,
  runAdvice: () => '',
  oneRunAtATime: false,
};

export const nodeBackend: RuntimeBackend = {
  name: 'onnxruntime-node',
  async createSession(modelBytes: Uint8Array, options?: SessionOptions): Promise<RuntimeSession> {
    const opts = ortSessionOptions(options);
    return new OrtSession(await openOrtSession(() => ort.InferenceSession.create(modelBytes, opts), creationAdvice), nodeFlavour);
  },
};

// kept where callers and tests import them from
export { cleanOrtMessage, formatShape } from './ort-common.js';
