/** Score-CAM's channel selection (--scorecam-top): the largest mean activations, ties to the lower index. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelsByMeanActivation } from './scorecam.js';

test('channelsByMeanActivation: top N by mean, in channel order; ties keep the lower index; 0 or N >= channels keeps all', () => {
  // 5 channels of 2 positions, means 1, 3, 2, 3, -1
  const act = Float32Array.of(0, 2, 3, 3, 1, 3, 2, 4, -1, -1);
  assert.deepEqual(channelsByMeanActivation(act, 5, 2, 1), [1]);
  assert.deepEqual(channelsByMeanActivation(act, 5, 2, 2), [1, 3]);
  assert.deepEqual(channelsByMeanActivation(act, 5, 2, 3), [1, 2, 3]);
  assert.deepEqual(channelsByMeanActivation(act, 5, 2, 0), [0, 1, 2, 3, 4]);
  assert.deepEqual(channelsByMeanActivation(act, 5, 2, 9), [0, 1, 2, 3, 4]);
});
