/** Reading explanation maps in tests and measuring how far they are from an oracle. */
import assert from 'node:assert/strict';
import type { ExplainResult } from '../../src/methods/explain.js';
import type { HostTensor } from '../../src/runtime/backend.js';

/** The result of one method, failing the test when there is none. */
export function result(r: ExplainResult, method: string): ExplainResult['results'][number] {
  const m = r.results.find((q) => q.method === method);
  assert.ok(m, `no result for ${method}`);
  return m;
}

/** Example b of a float32 batch (a view, no copy). */
export function example(t: HostTensor, b: number): Float32Array {
  const per = t.data.length / t.dims[0]!;
  return (t.data as Float32Array).subarray(b * per, (b + 1) * per);
}

/** max |got - want| / max |want| (max |got - want| when want is all zeros); the lengths must agree. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  return rangeRelErr(got, want, 0, want.length);
}

/**
 * max |got - ref| / max |ref| over ref[from, to) (max |got - ref| when that slice of ref is all zeros),
 * ref[i] compared with got[i - from + gotFrom]: gotFrom 0 when got holds the slice alone.
 */
export function rangeRelErr(got: ArrayLike<number>, ref: ArrayLike<number>, from: number, to: number, gotFrom = from): number {
  let num = 0;
  let den = 0;
  for (let i = from; i < to; i++) {
    num = Math.max(num, Math.abs(got[i - from + gotFrom]! - ref[i]!));
    den = Math.max(den, Math.abs(ref[i]!));
  }
  return den > 0 ? num / den : num;
}
