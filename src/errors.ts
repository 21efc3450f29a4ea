/**
 * Typed errors. Every error cnnlens raises carries a stable `code` and a message that says what to do.
 * Callers branch on `code`, never on message text.
 */

export type ErrorCode =
  | 'ONNX_PARSE' // the bytes are not a readable ONNX model
  | 'ONNX_UNSUPPORTED' // a readable model uses a feature cnnlens does not handle (external data, old opset, ...)
  | 'SHAPE' // shape inference failed or shapes disagree
  | 'NO_GRADIENT_RULE' // an op on the differentiated path has no backward rule
  | 'TENSOR_NOT_FOUND' // a tensor name given by the user does not exist
  | 'NOT_DIFFERENTIABLE' // the requested outputs do not depend on the requested tensors
  | 'INPUT_SHAPE' // the user's input does not fit the model
  | 'INPUT_VALUE' // NaN/Inf or otherwise unusable values
  | 'NPY' // a .npy file is malformed or of an unsupported dtype
  | 'IO' // a file cannot be read or written
  | 'MODEL_FORMAT' // a Keras / TF.js model file is malformed or not a model
  | 'MODEL_UNSUPPORTED' // a readable Keras / TF.js model uses a layer or option cnnlens cannot import
  | 'IMAGE' // an image file cannot be decoded, or is too large
  | 'UNKNOWN_METHOD' // an explanation method id that is not in the registry
  | 'UNKNOWN_LAYER' // a layer name that is not a feature map of the model
  | 'UNKNOWN_CLASS' // a class name or index the model does not have
  | 'INCOMPATIBLE_MODELS' // two models to compare whose classes (or inputs) do not correspond
  | 'RUNTIME' // ONNX Runtime refused or failed
  | 'QUEUE' // the job queue (Redis) cannot be reached or lost a job
  | 'USAGE'; // bad command-line usage

export class CnnlensError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CnnlensError';
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new CnnlensError(code, message, cause === undefined ? undefined : { cause });
}

/** Lists names for a message, cut to a readable length. */
export function listForMessage(names: readonly string[], max = 12): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length - max} more)` : shown;
}
