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
// models: input specs, targets, layers
export { imageModel, declaredInput, type ImageModel, type OutputInfo, type OutputKind } from './model/image-model.js';
export type { InputSpec, Layout } from './model/input-spec.js';
export { resolveInputSpec, checkParts, layoutFromShape, metadataSpec, type SpecParts, type SpecSources, type ResolvedSpec } from './model/spec-resolve.js';
export { resolveTarget, probabilities, topK, className, logitSeed, targetScores, type TargetSpec } from './model/targets.js';
export { featureMaps, resolveLayer, type LayerChoice } from './model/layers.js';
export { headGraph, type Head } from './model/head.js';
export { linearHeadAfter, type LinearHead } from './model/linear-head.js';
// methods
export { explain, type ExplainOptions, type ExplainResult, type MethodRun, type Prediction } from './methods/explain.js';
export { methods, methodIds, getMethod } from './methods/registry.js';
export { forward, layerGradient, inputGradient, headInputs, type RunOptions, type ForwardResult } from './methods/engine.js';
export type { Method, MethodInfo, MethodContext, MethodResult } from './methods/types.js';
// import (Keras, TF.js)
export { convertKeras } from './import/convert.js';
export { tfjsSource } from './import/tfjs.js';
export { kerasFileSource } from './import/keras-file.js';
export { h5Source, type Hdf5Reader, type Hdf5ReadOptions } from './import/h5.js';
export type { KerasSource, WeightSource, WeightArray, ImportedModel } from './import/types.js';
// metrics of explanations
export { perturbationCurve, pixelOrder, trapezoid, probabilityScorer, type Curve, type CurveKind, type CurveOptions, type Scorer } from './metrics/deletion.js';
export { confidenceChange, explanationMasked, type ConfidenceChange } from './metrics/confidence.js';
export { infidelity, infidelityFromSamples, targetScorer, type InfidelityOptions, type InfidelityResult } from './metrics/infidelity.js';
export { maxSensitivity, relativeChange, ballSamples, type SensitivityOptions, type SensitivityResult } from './metrics/sensitivity.js';
export { channelRanges } from './metrics/input-range.js';
export { cascadingRandomization, parametrizedLayers, randomizeWeights, type SanityOptions, type SanityResult, type DepthSimilarity } from './metrics/randomization.js';
export { randomizationFigure, type RandomizationRow, type RandomizationFigureOptions } from './metrics/randomization-figure.js';
export { spearman, ssim } from './metrics/similarity.js';
// images and rendering
export type { RgbImage, RgbaImage, Rect } from './image/types.js';
export { preprocess, fitToInput } from './image/preprocess.js';
export { resizeBilinear } from './image/resample.js';
export { tensorToImage } from './image/from-tensor.js';
export { colormap, COLORMAP_NAMES, defaultColormapFor, type ColormapName, type Colormap } from './render/colormaps.js';
export { normalizeMaps, normalizeMap, percentile, SIGN_MODES, NORMALIZE_MODES, type NormalizeMode, type SignMode, type RawMap, type DisplayMap } from './render/normalize.js';
export { overlay, heatmapImage } from './render/overlay.js';
export { upsampleBilinear } from './render/upsample.js';
export { renderGrid, type GridCell, type GridOptions } from './render/grid.js';
export { renderColorbar } from './render/colorbar.js';
export { encodePng } from './render/png.js';
export { htmlReport } from './render/html-report.js';
// feature visualization
export { visualize, type VisualizeOptions, type VisualizeResult } from './featurevis/visualize.js';
export { dream, type DreamOptions, type DreamResult } from './featurevis/deepdream.js';
export { invert, psnr, type InversionOptions, type InversionResult } from './featurevis/inversion.js';
export { projectUnit, type ProjectionResult } from './featurevis/projection.js';
export * as objectives from './featurevis/objectives.js';
export { imageBatch, toModelInput, toPicture, type ImageBatch } from './featurevis/image-batch.js';
// the browser runtime (the caller passes its onnxruntime-web module)
export { webBackend, configureWebRuntime, type WebRuntimeConfig, type WebRuntimeInfo, type WebExecutionProvider } from './runtime/web-backend.js';
export { spatialMap, displayMaps, colormapFor, colorbarFor, overlayFor, type ViewOptions } from './methods/display.js';
// two models' explanations of the same pictures compared (cnnlens diff)
export { pairModels, diffImage, type ModelPair, type PairOptions, type DiffOptions, type ImageDiff, type MethodDiff, type ModelOutcome } from './diff/diff-image.js';
export { normalizeForDiff, mapChange, type MapChange, type NormalizedMap } from './diff/measures.js';
export { aggregateChanges, type DiffAggregate, type MethodAggregate } from './diff/aggregate.js';
export { diffFigure } from './diff/figure.js';
