/** The documentation matches the code: README.md holds the registry's current table of methods. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { withMethodsTable } from '../src/methods/table.js';

test('README.md holds the current table of methods (run: npx tsx scripts/methods-table.ts)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(withMethodsTable(readme), readme);
});
