/** Writes the registry's table of methods into README.md (between the methods-table markers). */
import { readFileSync, writeFileSync } from 'node:fs';
import { withMethodsTable } from '../src/methods/table.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withMethodsTable(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'README.md: methods table up to date' : 'README.md: methods table rewritten');
