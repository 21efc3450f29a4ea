/** Expecting a typed cnnlens error from a promise. */
import assert from 'node:assert/strict';
import { CnnlensError, type ErrorCode } from '../../src/errors.js';

/** Asserts that `p` rejects with a CnnlensError of `code` whose message matches every pattern; returns the message. */
export async function rejects(p: Promise<unknown>, code: ErrorCode, ...patterns: RegExp[]): Promise<string> {
  let message = '';
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CnnlensError, `not a CnnlensError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const re of patterns) assert.match(e.message, re);
    message = e.message;
    return true;
  });
  return message;
}
