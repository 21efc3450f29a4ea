/** The public export lists: a change here is a change of the public API, made on purpose. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../src/index.js';
import * as nodeApi from '../src/node.js';

test('public API export list', () => {
  assert.deepEqual(Object.keys(api).sort(), [
    'CnnlensError', 'DType', 'GraphEditor', 'GraphIndex', 'RULE_SET_NAMES', 'Random', 'RuleContext', 'SessionCache',
    'attr', 'attrFloat', 'attrInt', 'attrInts', 'attrString', 'attrTensor', 'attrs', 'cacheKey', 'computeGradient', 'convFeatureMaps',
    'decodeModel', 'defaultCamLayer', 'defaultOpset', 'differentiableOps', 'differentiate', 'doubleTensor', 'dtypeName', 'dtypeSize',
    'encodeModel', 'floatTensor', 'foldShapeComputations', 'gradName', 'inferShapes', 'int64Tensor', 'isSpatialMap', 'loadModel',
    'logitTensor', 'makeModel', 'modelId', 'normalizeOpset', 'numel', 'readNpy', 'realTensor', 'releaseGradientSessions',
    'renamed', 'ruleSet', 'runBatched', 'runGradientJob', 'saveModel', 'seedName', 'standardRules', 'tensorValues',
    'topologicalNodes', 'withGraph', 'writeNpy',
  ]);
  assert.deepEqual(Object.keys(nodeApi).sort(), ['loadModelFile', 'nodeBackend', 'readNpyFile', 'writeNpyFileAtomic']);
});
