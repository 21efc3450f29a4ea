/** The public export lists: a change here is a change of the public API, made on purpose. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../src/index.js';
import * as nodeApi from '../src/node.js';

test('public API export list', () => {
  assert.deepEqual(Object.keys(api).sort(), [
    'COLORMAP_NAMES', 'CnnlensError', 'DType', 'GraphEditor', 'GraphIndex', 'NORMALIZE_MODES', 'RULE_SET_NAMES',
    'Random', 'RuleContext', 'SIGN_MODES', 'SessionCache', 'aggregateChanges', 'attr', 'attrFloat', 'attrInt',
    'attrInts', 'attrString', 'attrTensor', 'attrs', 'ballSamples', 'cacheKey', 'cascadingRandomization',
    'channelRanges', 'checkParts', 'className', 'colorbarFor', 'colormap', 'colormapFor', 'computeGradient',
    'confidenceChange', 'configureWebRuntime', 'convFeatureMaps', 'convertKeras', 'declaredInput', 'decodeModel',
    'defaultCamLayer', 'defaultColormapFor', 'defaultOpset', 'diffFigure', 'diffImage', 'differentiableOps',
    'differentiate', 'displayMaps', 'doubleTensor', 'dream', 'dtypeName', 'dtypeSize', 'encodeModel', 'encodePng',
    'explain', 'explanationMasked', 'featureMaps', 'fitToInput', 'floatTensor', 'foldShapeComputations', 'forward',
    'getMethod', 'gradName', 'h5Source', 'halfToFloat', 'headGraph', 'headInputs', 'heatmapImage', 'htmlReport',
    'imageBatch', 'imageModel', 'inferShapes', 'infidelity', 'infidelityFromSamples', 'inputGradient', 'int64Tensor',
    'invert', 'isSpatialMap', 'kerasFileSource', 'layerGradient', 'layoutFromShape', 'linearHeadAfter', 'loadModel',
    'logitSeed', 'logitTensor', 'makeModel', 'mapChange', 'maxSensitivity', 'metadataSpec', 'methodIds', 'methods',
    'modelId', 'normalizeForDiff', 'normalizeMap', 'normalizeMaps', 'normalizeOpset', 'numel', 'objectives',
    'overlay', 'overlayFor', 'pairModels', 'parametrizedLayers', 'percentile', 'perturbationCurve', 'pixelOrder',
    'preprocess', 'probabilities', 'probabilityScorer', 'projectUnit', 'psnr', 'randomizationFigure',
    'randomizeWeights', 'readNpy', 'realTensor', 'relativeChange', 'releaseGradientSessions', 'renamed',
    'renderColorbar', 'renderGrid', 'resizeBilinear', 'resolveInputSpec', 'resolveLayer', 'resolveTarget', 'ruleSet',
    'runBatched', 'runGradientJob', 'saveModel', 'seedName', 'spatialMap', 'spearman', 'ssim', 'standardRules',
    'targetScorer', 'targetScores', 'tensorToImage', 'tensorValues', 'tfjsSource', 'toModelInput', 'toPicture',
    'topK', 'topologicalNodes', 'trapezoid', 'upsampleBilinear', 'visualize', 'webBackend', 'withGraph', 'writeNpy',
  ]);
  assert.deepEqual(Object.keys(nodeApi).sort(), [
    'DEFAULT_MODEL_NAME', 'DEFAULT_MODEL_SPEC', 'NSFWJS_LABELS', 'NSFWJS_VERSION', 'WorkerHdf5Reader', 'cacheDir', 'defaultModel',
    'loadImageModel', 'loadModelFile', 'nodeBackend', 'nsfwjsSource', 'readImageBytes', 'readImageFile',
    'readLabels', 'readNpyFile', 'readTfjsFiles', 'workerHdf5', 'writeFileAtomic', 'writeNpyFileAtomic',
  ]);
});
