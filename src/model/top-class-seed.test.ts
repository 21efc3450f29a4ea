import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DType } from '../onnx/ir.js';
import { makeModel } from '../onnx/load.js';
import { run, session } from '../../test/util/ort.js';
import { seedFromTopClass } from './top-class-seed.js';

/** A graph whose only work is the seed: input 'l' (the logits), seed input 'seed' replaced by nodes. */
function seedModel(kind: 'softmax' | 'sigmoid-binary', classes: number) {
  const vi = (name: string) => ({ name, type: { elemType: DType.FLOAT, shape: ['N', classes] } });
  const base = makeModel({ nodes: [{ name: 'id', opType: 'Identity', domain: '', inputs: ['l'], outputs: ['logits'], attributes: [] }], inputs: [vi('l'), vi('seed')], outputs: [vi('logits')] });
  return seedFromTopClass(base, 'seed', 'logits', kind, classes);
}

test('softmax heads: the seed is the one-hot of the first largest logit (ties go to the lower index, as topK orders them)', async () => {
  const s = await session(seedModel('softmax', 4));
  const logits = [0.1, 2, -1, 2, /* tie between 1 and 3 */ 5, 0, 0, 0, -3, -2, -1, -4];
  const out = await run(s, { l: { dims: [3, 4], data: logits } }, 'float32');
  assert.deepEqual([...out.seed!.data], [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
});

test('a single-sigmoid head: +1 for a positive logit (class 1), -1 otherwise (class 0, explained as -logit)', async () => {
  const s = await session(seedModel('sigmoid-binary', 1));
  const out = await run(s, { l: { dims: [3, 1], data: [0.7, -0.2, 0] } }, 'float32');
  // logit 0: p = 0.5 for both classes, and topK puts class 0 first on the tie
  assert.deepEqual([...out.seed!.data], [1, -1, -1]);
});
