/** The public API of cnnlens (platform neutral: runs in Node and in the browser). Node extras: `cnnlens/node`. */
export { CnnlensError, type ErrorCode } from './errors.js';
export * from './onnx/index.js';
export { inferShapes, type ShapeInfo } from './onnx/shapes.js';
export { foldShapeComputations } from './onnx/fold.js';
export { normalizeOpset } from './onnx/opset.js';
export { differentiate, gradName, seedName, type DifferentiateOptions, type Differentiated } from './autodiff/differentiate.js';
export { ruleSet, standardRules, differentiableOps, RULE_SET_NAMES, type RuleSetName } from './autodiff/rulesets.js';
export { RuleContext, type BackwardRule, type RuleTable, type BackwardForms } from './autodiff/context.js';
export { runGradientJob, computeGradient, releaseGradientSessions, type GradientJobResult, type GradientJobOptions, type GradientTarget } from './autodiff/gradient-job.js';
export { logitTensor, type LogitChoice } from './model/logits.js';
export { convFeatureMaps, defaultCamLayer, isSpatialMap, type FeatureMap } from './model/catalog.js';
export type { HostTensor, ElemType, RuntimeBackend, RuntimeSession, SessionOptions } from './runtime/backend.js';
export { SessionCache, cacheKey, modelId } from './runtime/cache.js';
export { runBatched, type BatchOptions } from './runtime/batch.js';
export { readNpy, writeNpy, type NpyArray } from './data/npy.js';
export { Random } from './util/random.js';
