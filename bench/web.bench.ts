/**
 * The explorer's speed: Grad-CAM and Integrated Gradients (50 steps) of the default model (nsfwjs's
 * fine-tuned MobileNetV2, 224x224) on examples/images/chelsea.png, in headless Chromium (onnxruntime-web,
 * WebAssembly, threads = cores) against the same `explain()` in Node (onnxruntime-node, threads = cores),
 * rounds interleaved, medians reported; and the time from opening the page to its first result.
 *
 *   npx tsx bench/web.bench.ts [--rounds N] [--opens N]
 *
 * Needs /usr/bin/chromium and the built page (bash scripts/web.sh). Writes bench/results/web.json.
 * Browser times are the engine worker's own (explain() called to maps returned, as in Node); the page's
 * drawing is not included. Time to first result: from navigation start to the first maps, in a fresh
 * browser context each time (no cached WebAssembly), with the default model served by `cnnlens serve`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { explain, preprocess } from '../src/index.js';
import { loadImageModel, nodeBackend, readImageFile } from '../src/node.js';
import { startServer } from '../src/cli/serve.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, opens: { type: 'string', default: '3' }, query: { type: 'string', default: '' } } });
/** page query, e.g. 'spin=1&threads=1' (runtime tuning) */
const query = values.query ? `?${values.query}` : '';
const rounds = Number(values.rounds);
const opens = Number(values.opens);
const ROOT = new URL('../', import.meta.url).pathname;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const server = await startServer({ port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const { model } = await loadImageModel(undefined);
const input = preprocess([await readImageFile(`${ROOT}examples/images/chelsea.png`)], model.input);

const CASES = [
  { name: 'Gradient (forward + full backward)', methods: ['gradient'], options: {} },
  { name: 'Grad-CAM', methods: ['gradcam'], options: {} },
  { name: 'IG-50', methods: ['integrated-gradients'], options: { 'ig-steps': 50 } },
] as const;

async function nodeRun(c: (typeof CASES)[number]): Promise<number> {
  const t = performance.now();
  await explain(model, input, { backend: nodeBackend, methods: c.methods, methodOptions: c.options });
  return performance.now() - t;
}

/** Sets the page's methods through its form and runs them; returns the worker's time for the run. */
async function pageRun(page: Page, c: (typeof CASES)[number]): Promise<number> {
  const runs = (await page.evaluate('window.cnnlens.runs')) as number;
  await page.evaluate(`(() => {
    for (const cb of document.querySelectorAll('#methods input')) {
      const want = ${JSON.stringify(c.methods)}.includes(cb.value);
      if (cb.checked !== want) { cb.checked = want; cb.dispatchEvent(new Event('change')); }
    }
  })()`);
  for (const [k, v] of Object.entries(c.options)) await page.fill(`#options [name="${k}"]`, String(v));
  await page.click('#run');
  await page.waitForFunction(`window.cnnlens.runs > ${runs} || window.cnnlens.lastError !== ''`, null, { timeout: 600_000 });
  const err = (await page.evaluate('window.cnnlens.lastError')) as string;
  if (err) throw new Error(`the page failed: ${err}`);
  return (await page.evaluate('window.cnnlens.result().totalMs')) as number;
}

// time to first result, each in a fresh context
const firsts: { total: number; marks: Record<string, number> }[] = [];
for (let i = 0; i < opens; i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${server.url}${query}#model=default&image=chelsea.png&methods=gradcam`);
  await page.waitForFunction("window.cnnlens && (window.cnnlens.firstResultMs > 0 || window.cnnlens.lastError !== '')", null, { timeout: 120_000 });
  const r = (await page.evaluate('({ total: window.cnnlens.firstResultMs, marks: window.cnnlens.marks, err: window.cnnlens.lastError })')) as { total: number; marks: Record<string, number>; err: string };
  if (r.err) throw new Error(`the page failed: ${r.err}`);
  firsts.push(r);
  console.error(`open ${i + 1}: first result after ${r.total.toFixed(0)} ms (runtime ${r.marks.runtime?.toFixed(0)}, model ${r.marks.model?.toFixed(0)}, picture ${r.marks.picture?.toFixed(0)})`);
  await ctx.close();
}

// steady state: one page, warmed up; rounds interleaved with Node
const page = await browser.newPage();
await page.goto(`${server.url}${query}#model=default&image=chelsea.png&methods=`);
await page.waitForFunction("window.cnnlens && window.cnnlens.ready && document.querySelectorAll('#predictions li').length > 0", null, { timeout: 120_000 });
const runtime = (await page.textContent('#runtime')) ?? '';
const times: Record<string, { node: number[]; web: number[] }> = {};
for (const c of CASES) {
  times[c.name] = { node: [], web: [] };
  await nodeRun(c);
  await pageRun(page, c);
}
for (let r = 0; r < rounds; r++) {
  for (const c of CASES) {
    times[c.name]!.node.push(await nodeRun(c));
    times[c.name]!.web.push(await pageRun(page, c));
  }
  console.error(`round ${r + 1}/${rounds}`);
}
await browser.close();
await server.close();

const rows = CASES.map((c) => {
  const t = times[c.name]!;
  return { case: c.name, nodeMs: median(t.node), webMs: median(t.web), ratio: median(t.web) / median(t.node) };
});
const first = median(firsts.map((f) => f.total));
const result = { date: new Date().toISOString(), cores: availableParallelism(), runtime, rounds, rows, firstResultMs: first, opens: firsts };
mkdirSync(`${ROOT}bench/results`, { recursive: true });
writeFileSync(`${ROOT}bench/results/web.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(`browser: ${runtime}; Node: onnxruntime-node, ${availableParallelism()} threads; medians of ${rounds} rounds\n`);
console.log('| method | Node | Chromium (WASM) | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.case} | ${r.nodeMs.toFixed(1)} ms | ${r.webMs.toFixed(1)} ms | ${r.ratio.toFixed(2)}x |`);
console.log(`\ntime to first result after opening the page (Grad-CAM, default model, median of ${opens} fresh opens): ${first.toFixed(0)} ms`);
