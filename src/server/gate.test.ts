import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyGate } from './gate.js';

test('the gate runs at most maxActive at once, queues in order up to maxQueued, refuses beyond', () => {
  const gate = new ConcurrencyGate(2, 2);
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const enter = (i: number) => gate.enter((release) => { started.push(i); releases[i] = release; });
  assert.equal(enter(0), true);
  assert.equal(enter(1), true);
  assert.equal(enter(2), true);
  assert.equal(enter(3), true);
  assert.equal(enter(4), false, 'queue full');
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.running, 2);
  assert.equal(gate.queued, 2);
  releases[1]!();
  releases[1]!(); // a second release of the same slot does nothing
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(gate.running, 2);
  releases[0]!();
  assert.deepEqual(started, [0, 1, 2, 3]);
  assert.equal(enter(5), true);
  releases[2]!();
  releases[3]!();
  releases[5]!();
  assert.deepEqual(started, [0, 1, 2, 3, 5]);
  assert.equal(gate.running, 0);
  assert.equal(gate.queued, 0);
  assert.throws(() => new ConcurrencyGate(0, 1), RangeError);
});
