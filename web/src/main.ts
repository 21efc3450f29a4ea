/**
 * The explorer page: model and picture pickers, the method registry as a form, runs with progress and
 * cancel, the results grid with display controls, a pixel readout, downloads and the layer browser.
 * Every computation happens in the engine worker through the library; this file only draws.
 */
import {
  COLORMAP_NAMES,
  encodePng,
  getMethod,
  methods as registryMethods,
  normalizeMap,
  renderGrid,
  heatmapImage,
  overlay,
  writeNpy,
  type ColormapName,
  type DisplayMap,
  type Method,
  type RgbImage,
} from './lib.js';
import { colorbarFor, colormapFor, displayMaps, drawRgb, spatialMap, type ViewOptions } from './display.js';
import { EngineClient, EngineError, describeError } from './engine-client.js';
import type { ExplainOutput, ImageSummary, MapTensor, ModelSource, ModelSummary, PredictionInfo } from './protocol.js';
import { readState, writeState, type PageState } from './url-state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

const base = new URL(import.meta.env.BASE_URL, location.href);
const engine = new EngineClient();
const initial = readState(location.hash);
const state: PageState = initial.state;

let model: ModelSummary | undefined;
let picture: { blob: Blob; name: string; summary: ImageSummary; predictions?: readonly PredictionInfo[] } | undefined;
let result: { output: ExplainOutput; imageName: string } | undefined;
let runningId: number | undefined;
let busy = false;
let examples: string[] = [];

/** Exposed for tests and the benchmark: what the page last computed, and when. */
const probe = {
  ready: false,
  runs: 0,
  lastError: '' as string,
  firstResultMs: -1,
  lastRunMs: -1,
  /** milliseconds since the page started loading, at each step of the start */
  marks: {} as Record<string, number>,
  result: () => result?.output,
  model: () => model,
  image: () => picture?.summary,
};
(window as unknown as { cnnlens: typeof probe }).cnnlens = probe;

// ---------------------------------------------------------------- errors and status

function showError(e: unknown): void {
  const { code, message } = describeError(e);
  probe.lastError = `${code}: ${message}`;
  $('error-code').textContent = `error [${code}]:`;
  $('error-text').textContent = message;
  $('error').hidden = false;
}

function clearError(): void {
  $('error').hidden = true;
}

$('error-close').addEventListener('click', clearError);

function setStatus(text: string): void {
  $('status').textContent = text;
}

function setBusy(on: boolean): void {
  busy = on;
  for (const id of ['run', 'model-default']) ($(id) as HTMLButtonElement).disabled = on;
  for (const id of ['model-file', 'image-file']) ($(id) as HTMLInputElement).disabled = on;
  for (const b of $('examples').querySelectorAll('button')) b.disabled = on;
}

function saveState(): void {
  history.replaceState(null, '', writeState(state));
}

// ---------------------------------------------------------------- the method registry as a form

const ALL_METHODS: readonly Method[] = registryMethods();

function buildMethodList(): void {
  const box = $('methods');
  for (const m of ALL_METHODS) {
    const label = document.createElement('label');
    label.title = `${m.answers}\n${m.paper}\ncost: ${m.passes}`;
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.value = m.id;
    cb.checked = state.methods.includes(m.id);
    cb.addEventListener('change', () => {
      state.methods = ALL_METHODS.filter((x) => (box.querySelector(`input[value="${CSS.escape(x.id)}"]`) as HTMLInputElement).checked).map((x) => x.id);
      buildOptions();
      saveState();
    });
    label.append(cb, ` ${m.title} `);
    const small = document.createElement('small');
    small.textContent = m.passes;
    label.append(small);
    box.append(label);
  }
}

/** One field per option of the chosen methods (an option shared by several methods appears once). */
function buildOptions(): void {
  const box = $('options');
  box.replaceChildren();
  const seen = new Set<string>();
  for (const id of state.methods) {
    for (const o of getMethod(id).options ?? []) {
      if (seen.has(o.name)) continue;
      seen.add(o.name);
      const label = document.createElement('label');
      label.title = o.help;
      let input: HTMLInputElement | HTMLSelectElement;
      if (o.type === 'enum') {
        input = document.createElement('select');
        for (const c of o.choices ?? []) input.append(new Option(c, c));
      } else if (o.type === 'boolean') {
        input = document.createElement('input');
        input.type = 'checkbox';
      } else {
        input = document.createElement('input');
        input.type = o.type === 'string' ? 'text' : 'number';
        if (o.min !== undefined) input.min = String(o.min);
        if (o.max !== undefined) input.max = String(o.max);
        if (o.type === 'integer') input.step = '1';
        else if (o.type === 'number') input.step = 'any';
      }
      input.name = o.name;
      const given = state.options[o.name];
      const value = given ?? (o.default !== undefined ? String(o.default) : '');
      if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = value === 'true';
      else input.value = value;
      input.addEventListener('change', () => {
        const v = input instanceof HTMLInputElement && input.type === 'checkbox' ? String(input.checked) : input.value;
        if (v === '' || v === (o.default !== undefined ? String(o.default) : undefined)) delete state.options[o.name];
        else state.options[o.name] = v;
        saveState();
      });
      label.append(`--${o.name} `, input);
      box.append(label);
    }
  }
  // options of methods no longer chosen leave the state
  for (const k of Object.keys(state.options)) if (!seen.has(k)) delete state.options[k];
}

function methodOptions(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state.options)) out[k] = v;
  return out;
}

// ---------------------------------------------------------------- model

function layerText(l: { label: string; shape: readonly (number | string | null)[] }): string {
  return `${l.label} [${l.shape.slice(1).join('x')}]`;
}

function showModel(m: ModelSummary): void {
  $('model-name').textContent = `${m.name} — ${m.classes} classes, input ${m.input.layout} ${m.input.channels}x${m.input.height}x${m.input.width}, range [${m.input.range.join(', ')}]`;
  $('model-notes').replaceChildren(...m.notes.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
  const target = $<HTMLSelectElement>('target');
  target.replaceChildren(new Option('top prediction', ''), ...m.labels.map((l, k) => new Option(`${k}: ${l}`, String(k))));
  target.value = state.target && Number(state.target) < m.classes ? state.target : '';
  const versus = $<HTMLSelectElement>('versus');
  versus.replaceChildren(new Option('— (the target\'s logit alone)', ''), ...m.labels.map((l, k) => new Option(`${k}: ${l}`, String(k))));
  versus.value = state.versus && Number(state.versus) < m.classes ? state.versus : '';
  const layer = $<HTMLSelectElement>('layer');
  const unitsLayer = $<HTMLSelectElement>('units-layer');
  const options = (def: string) => m.layers.map((l) => new Option(`${layerText(l)}${l.tensor === m.defaultLayer ? def : ''}`, l.tensor));
  layer.replaceChildren(new Option(m.defaultLayer ? `default (${layerText(m.layers.find((l) => l.tensor === m.defaultLayer)!)})` : 'default', ''), ...options(''));
  unitsLayer.replaceChildren(...options(' (default)'));
  const known = (t: string) => m.layers.some((l) => l.tensor === t || l.label === t);
  const tensorOf = (t: string) => m.layers.find((l) => l.tensor === t || l.label === t)?.tensor ?? '';
  layer.value = state.layer && known(state.layer) ? tensorOf(state.layer) : '';
  unitsLayer.value = state.units && known(state.units) ? tensorOf(state.units) : m.defaultLayer;
}

async function loadModel(source: ModelSource, stateName: string): Promise<boolean> {
  clearError();
  setBusy(true);
  setStatus('loading the model…');
  const t0 = performance.now();
  try {
    model = await engine.call({ type: 'loadModel', model: source }).result;
    state.model = stateName;
    showModel(model);
    result = undefined;
    renderResults();
    setStatus(`model loaded in ${Math.round(performance.now() - t0)} ms`);
    saveState();
    if (picture) await setPicture(picture.blob, picture.name, state.image, true);
    return true;
  } catch (e) {
    showError(e);
    setStatus(model ? `kept the model ${model.name}` : 'no model');
    return false;
  } finally {
    setBusy(false);
  }
}

function loadDefaultModel(): Promise<boolean> {
  return loadModel({ kind: 'url', base: new URL('model/', base).href }, 'default');
}

$('model-default').addEventListener('click', () => void loadDefaultModel());
$<HTMLInputElement>('model-file').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  input.value = '';
  if (files.length) void loadModel({ kind: 'files', files }, `file:${files.map((f) => f.name).join('+')}`);
});

// ---------------------------------------------------------------- picture

/** Reads a picture into the engine; then shows its predictions (unless a run that reports them follows). */
async function setPicture(blob: Blob, name: string, example: string, keepBusy = false, predict = true): Promise<boolean> {
  if (!model) {
    showError(new EngineError('USAGE', 'load a model first.'));
    return false;
  }
  clearError();
  if (!keepBusy) setBusy(true);
  setStatus(`reading ${name}…`);
  try {
    const summary = await engine.call({ type: 'setImage', file: blob, name }).result;
    picture = { blob, name, summary };
    state.image = example;
    result = undefined;
    $('predictions').replaceChildren();
    renderResults();
    saveState();
    if (predict) {
      const p = await engine.call({ type: 'predict' }).result;
      picture.predictions = p.predictions;
      showPredictions(p.predictions);
      renderResults();
      setStatus(`${name}: ${summary.width}x${summary.height}, forward pass ${p.forwardMs.toFixed(0)} ms`);
    }
    if (!$('units-view').hidden) void showUnits();
    return true;
  } catch (e) {
    showError(e);
    setStatus(picture ? `kept the picture ${picture.name}` : 'no picture');
    return false;
  } finally {
    if (!keepBusy) setBusy(false);
  }
}

function showPredictions(predictions: readonly PredictionInfo[]): void {
  $('predictions').replaceChildren(...predictions.map((p) => {
    const li = document.createElement('li');
    li.title = 'explain this class';
    li.textContent = `${p.label} ${(100 * p.probability).toFixed(1)}%`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.round(80 * p.probability)}px`;
    li.append(bar);
    li.addEventListener('click', () => {
      $<HTMLSelectElement>('target').value = String(p.index);
      state.target = String(p.index);
      saveState();
    });
    return li;
  }));
}

$<HTMLInputElement>('image-file').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  const f = input.files?.[0];
  input.value = '';
  if (f) void setPicture(f, f.name, '');
});

const drop = $('drop');
drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const files = [...(ev.dataTransfer?.files ?? [])];
  if (!files.length || busy) return;
  // model files dropped here open as the model; anything else is taken as a picture
  if (files.some((f) => /\.(onnx|keras|h5|hdf5|json)$/i.test(f.name))) void loadModel({ kind: 'files', files }, `file:${files.map((f) => f.name).join('+')}`);
  else void setPicture(files[0]!, files[0]!.name, '');
});

async function loadExample(name: string, predict = true): Promise<boolean> {
  try {
    const res = await fetch(new URL(`examples/${encodeURIComponent(name)}`, base));
    if (!res.ok) throw new EngineError('IO', `the example picture '${name}' is not served here (HTTP ${res.status}).`);
    return await setPicture(await res.blob(), name, name, false, predict);
  } catch (e) {
    showError(e);
    return false;
  }
}

async function listExamples(): Promise<void> {
  try {
    const res = await fetch(new URL('examples/index.json', base));
    examples = res.ok ? ((await res.json()) as string[]) : [];
  } catch {
    examples = [];
  }
  $('examples').replaceChildren(...examples.map((name) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = name;
    b.addEventListener('click', () => void loadExample(name));
    return b;
  }));
}

// ---------------------------------------------------------------- running

$<HTMLSelectElement>('target').addEventListener('change', (ev) => {
  state.target = (ev.target as HTMLSelectElement).value;
  saveState();
});
$<HTMLSelectElement>('versus').addEventListener('change', (ev) => {
  state.versus = (ev.target as HTMLSelectElement).value;
  saveState();
});
$<HTMLSelectElement>('layer').addEventListener('change', (ev) => {
  state.layer = (ev.target as HTMLSelectElement).value;
  saveState();
});

async function run(): Promise<void> {
  if (busy) return;
  if (!model) return showError(new EngineError('USAGE', 'load a model first.'));
  if (!picture) return showError(new EngineError('USAGE', 'choose a picture first.'));
  if (state.methods.length === 0) return showError(new EngineError('USAGE', 'choose at least one method.'));
  if (state.versus !== '' && state.target === '') return showError(new EngineError('USAGE', 'choose a target class to compare with the "versus" class (the top prediction is not fixed in advance).'));
  clearError();
  setBusy(true);
  const cancel = $<HTMLButtonElement>('cancel');
  cancel.disabled = false;
  $('progress').hidden = false;
  const bar = $<HTMLProgressElement>('progress-bar');
  bar.removeAttribute('value');
  $('progress-text').textContent = 'running…';
  setStatus(`running ${state.methods.join(', ')}…`);
  const t0 = performance.now();
  const call = engine.call(
    {
      type: 'explain',
      request: {
        methods: state.methods,
        ...(state.target !== '' ? { target: Number(state.target) } : {}),
        ...(state.versus !== '' ? { versus: Number(state.versus) } : {}),
        ...(state.layer ? { layer: state.layer } : {}),
        methodOptions: methodOptions(),
      },
    },
    (done, total) => {
      bar.max = total;
      bar.value = done;
      $('progress-text').textContent = `${done} / ${total} passes`;
    },
  );
  runningId = call.id;
  try {
    const output = await call.result;
    result = { output, imageName: picture.name };
    picture.predictions = output.predictions;
    showPredictions(output.predictions);
    probe.runs++;
    probe.lastRunMs = performance.now() - t0;
    if (probe.firstResultMs < 0) probe.firstResultMs = performance.now();
    renderResults();
    const compiledNote = output.compiled.count ? `; ${output.compiled.count} graph${output.compiled.count > 1 ? 's' : ''} compiled in ${output.compiled.ms.toFixed(0)} ms` : '';
    setStatus(`done in ${output.totalMs.toFixed(0)} ms (forward ${output.forwardMs.toFixed(0)} ms; ${output.results.map((r) => `${r.method} ${r.ms.toFixed(0)} ms`).join(', ')}${compiledNote})`);
  } catch (e) {
    if (e instanceof EngineError && e.code === 'CANCELLED') setStatus('cancelled');
    else {
      showError(e);
      setStatus('the run failed');
    }
  } finally {
    runningId = undefined;
    cancel.disabled = true;
    $('progress').hidden = true;
    setBusy(false);
  }
}

$('run').addEventListener('click', () => void run());
$('cancel').addEventListener('click', () => {
  if (runningId !== undefined) {
    engine.cancel(runningId);
    setStatus('cancelling after the current pass…');
  }
});

// ---------------------------------------------------------------- results

function view(): ViewOptions {
  return { normalize: state.normalize, sign: state.sign, colormap: state.colormap, alpha: state.alpha, percentile: state.percentile };
}

function download(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function stem(name: string): string {
  return name.replace(/\.[^.]*$/, '') || 'image';
}

function button(text: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (cls) b.className = cls;
  b.addEventListener('click', onClick);
  return b;
}

function cell(image: RgbImage, caption: string, sub: string, extra: HTMLElement[] = [], methodId = ''): HTMLElement {
  const div = document.createElement('div');
  div.className = 'cell';
  if (methodId) div.dataset.method = methodId;
  const c = document.createElement('canvas');
  c.className = 'pic';
  drawRgb(c, image);
  // small inputs (MNIST, CIFAR sizes) are shown as pixels rather than blurred
  if (image.width < 128) c.style.imageRendering = 'pixelated';
  c.addEventListener('click', (ev) => readout(ev, c));
  const p = Object.assign(document.createElement('p'), { className: 'caption', textContent: caption });
  const s = Object.assign(document.createElement('p'), { className: 'sub', textContent: sub });
  div.append(c, p, s, ...extra);
  return div;
}

interface Rendered {
  readonly method: string;
  readonly overlay: RgbImage;
  readonly colorbar: RgbImage;
  readonly display: DisplayMap;
}
let rendered: Rendered[] = [];

function renderResults(): void {
  const grid = $('grid');
  grid.replaceChildren();
  $('readout').hidden = true;
  rendered = [];
  if (!picture || !model) {
    $('target-line').textContent = '';
    return;
  }
  const pic = picture.summary.fitted;
  const top = picture.predictions?.[0];
  grid.append(cell(pic, picture.name, top ? `${top.label} ${(100 * top.probability).toFixed(1)}% (as the model sees it: ${pic.width}x${pic.height})` : ''));
  if (!result || result.imageName !== picture.name) {
    $('target-line').textContent = '';
    return;
  }
  const out = result.output;
  $('target-line').textContent = `target: ${out.target.label} (${out.target.minus === undefined ? 'logit' : 'logit difference'} ${out.target.score.toFixed(3)})${out.layer ? `; layer ${out.layer.name}${out.layer.isDefault ? ' (default: the last feature map larger than 1x1)' : ''}` : ''}`;
  const v = view();
  const ids = out.results.map((r) => r.method);
  const displays = displayMaps(ids, out.results.map((r) => spatialMap(r.map, model!.input)), v);
  out.results.forEach((r, i) => {
    const m = getMethod(r.method);
    const d = displays[i]!;
    const cmap = colormapFor(r.method, d, v);
    const ov = overlay(pic, d.values, { colormap: cmap, alpha: v.alpha });
    // colorbars are drawn at a readable size whatever the model's input size
    const bar = colorbarFor(r.method, d, cmap, Math.max(pic.width, 224));
    rendered.push({ method: r.method, overlay: ov, colorbar: bar, display: d });
    const barCanvas = document.createElement('canvas');
    barCanvas.className = 'bar';
    drawRgb(barCanvas, bar);
    const dl = document.createElement('div');
    dl.className = 'dl';
    const name = `${stem(picture!.name)}.${r.method}`;
    dl.append(
      button('PNG', () => download(encodePng(ov), `${name}.png`, 'image/png'), 'dl-png'),
      button('.npy', () => download(writeNpy({ type: 'float32', dims: r.map.dims, data: r.map.data }), `${name}.npy`, 'application/octet-stream'), 'dl-npy'),
    );
    const values = r.values ? Object.entries(r.values).map(([k, vs]) => `${k} ${vs.map((x) => String(Number(x.toPrecision(4)))).join(', ')}`).join('; ') : '';
    grid.append(cell(ov, `${m.title}${m.needsLayer && out.layer ? ` @ ${out.layer.name}` : ''}`, `${r.ms.toFixed(0)} ms${values ? `; ${values}` : ''}`, [barCanvas, dl], r.method));
  });
  const all = document.createElement('div');
  all.className = 'dl';
  all.append(button('Download figure (PNG)', () => download(figurePng(pic, out), `${stem(picture!.name)}.figure.png`, 'image/png'), 'dl-figure'));
  grid.append(all);
}

function figurePng(pic: RgbImage, out: ExplainOutput): Uint8Array {
  const cells = [{ image: pic, caption: picture?.name ?? '' }, ...rendered.map((r) => ({ image: r.overlay, caption: getMethod(r.method).title }))];
  const bars = [null, ...rendered.map((r) => ({ image: r.colorbar }))];
  return encodePng(renderGrid([cells, bars], { title: `target: ${out.target.label} (logit ${out.target.score.toFixed(3)})` }));
}

function readout(ev: MouseEvent, c: HTMLCanvasElement): void {
  if (!model || !picture) return;
  const rect = c.getBoundingClientRect();
  const x = Math.min(c.width - 1, Math.max(0, Math.floor(((ev.clientX - rect.left) / rect.width) * c.width)));
  const y = Math.min(c.height - 1, Math.max(0, Math.floor(((ev.clientY - rect.top) / rect.height) * c.height)));
  const { height: H, width: W, channels: C, layout } = model.input;
  const lines = [`pixel (x ${x}, y ${y}) of the ${W}x${H} input`];
  const px = picture.summary.fitted.data;
  const p = (y * W + x) * 3;
  lines.push(`  picture RGB ${px[p]}, ${px[p + 1]}, ${px[p + 2]}`);
  for (const r of result?.output.results ?? []) {
    const m = getMethod(r.method);
    const d = r.map.data;
    if (r.map.dims.length === 3) lines.push(`  ${r.method.padEnd(18)} ${fmt(d[y * W + x]!)}  ${m.units}`);
    else {
      const vals = Array.from({ length: C }, (_, k) => d[layout === 'NCHW' ? k * H * W + y * W + x : (y * W + x) * C + k]!);
      lines.push(`  ${r.method.padEnd(18)} [${vals.map(fmt).join(', ')}] (sum ${fmt(vals.reduce((a, b) => a + b, 0))})  ${m.units}`);
    }
    if (r.layerMap) {
      const [, h, w] = r.layerMap.dims as [number, number, number];
      const ly = Math.min(h - 1, Math.floor((y * h) / H));
      const lx = Math.min(w - 1, Math.floor((x * w) / W));
      lines.push(`  ${''.padEnd(18)} layer cell (${lx}, ${ly}) of ${w}x${h}: ${fmt(r.layerMap.data[ly * w + lx]!)}`);
    }
  }
  const box = $('readout');
  box.textContent = lines.join('\n');
  box.hidden = false;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(5);
}

// display controls: re-render only, never re-run
const colormapSelect = $<HTMLSelectElement>('colormap');
for (const n of COLORMAP_NAMES) colormapSelect.append(new Option(n, n));
function bindControls(): void {
  const norm = $<HTMLSelectElement>('normalize');
  const sign = $<HTMLSelectElement>('sign');
  const alpha = $<HTMLInputElement>('alpha');
  const pct = $<HTMLSelectElement>('percentile');
  if (![...pct.options].some((o) => Number(o.value) === state.percentile)) pct.append(new Option(`${state.percentile}th pct`, String(state.percentile)));
  pct.value = String(state.percentile);
  norm.value = state.normalize;
  sign.value = state.sign;
  colormapSelect.value = state.colormap;
  alpha.value = String(state.alpha);
  $('alpha-value').textContent = String(state.alpha);
  const update = () => {
    state.normalize = norm.value as PageState['normalize'];
    state.sign = sign.value as PageState['sign'];
    state.colormap = colormapSelect.value as ColormapName | 'auto';
    state.alpha = Number(alpha.value);
    state.percentile = Number(pct.value);
    $('alpha-value').textContent = alpha.value;
    saveState();
    renderResults();
  };
  for (const el of [norm, sign, colormapSelect, pct]) el.addEventListener('change', update);
  alpha.addEventListener('input', update);
}

// ---------------------------------------------------------------- layer browser

function showTab(which: 'maps' | 'units'): void {
  $('maps-view').hidden = which !== 'maps';
  $('units-view').hidden = which !== 'units';
  $('tab-maps').classList.toggle('active', which === 'maps');
  $('tab-units').classList.toggle('active', which === 'units');
  if (which === 'units') {
    state.units = $<HTMLSelectElement>('units-layer').value;
    void showUnits();
  } else state.units = '';
  saveState();
}
$('tab-maps').addEventListener('click', () => showTab('maps'));
$('tab-units').addEventListener('click', () => showTab('units'));
$('units-layer').addEventListener('change', () => {
  state.units = $<HTMLSelectElement>('units-layer').value;
  saveState();
  void showUnits();
});
$('units-order').addEventListener('change', () => void showUnits());

let unitsToken = 0;
async function showUnits(): Promise<void> {
  const tensor = $<HTMLSelectElement>('units-layer').value;
  const box = $('units');
  const token = ++unitsToken;
  if (!model || !picture || !tensor) {
    box.replaceChildren();
    $('units-status').textContent = !model ? 'load a model' : !picture ? 'choose a picture' : 'this model has no conv feature maps';
    return;
  }
  $('units-status').textContent = 'computing…';
  let act: MapTensor;
  try {
    act = await engine.call({ type: 'activations', tensor }).result;
  } catch (e) {
    showError(e);
    $('units-status').textContent = '';
    return;
  }
  if (token !== unitsToken) return;
  const [, C, h, w] = act.dims as [number, number, number, number];
  const plane = h * w;
  const means = Array.from({ length: C }, (_, c) => {
    let s = 0;
    for (let i = 0; i < plane; i++) s += act.data[c * plane + i]!;
    return s / plane;
  });
  const order = Array.from({ length: C }, (_, c) => c);
  if ($<HTMLSelectElement>('units-order').value === 'mean') order.sort((a, b) => means[b]! - means[a]!);
  const shown = order.slice(0, 512);
  const label = model.layers.find((l) => l.tensor === tensor)?.label ?? tensor;
  $('units-status').textContent = `${label}: ${C} units of ${w}x${h}${C > shown.length ? `, the first ${shown.length} shown` : ''}; each unit scaled from its own minimum to maximum`;
  const unitMap = (c: number) => ({ data: act.data.subarray(c * plane, (c + 1) * plane), dims: [h, w] as [number, number] });
  const range = (c: number): [number, number] => {
    const d = unitMap(c).data;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of d) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return hi > lo ? [lo, hi] : [lo, lo + 1];
  };
  const figs = shown.map((c) => {
    const fig = document.createElement('figure');
    const cv = document.createElement('canvas');
    const d = normalizeMap(unitMap(c), { mode: 'raw', domain: range(c) });
    drawRgb(cv, heatmapImage(d.values, w, h, 'viridis'));
    fig.append(cv, Object.assign(document.createElement('figcaption'), { textContent: `#${c}` }));
    fig.title = `unit ${c}: mean ${means[c]!.toPrecision(3)}, range [${range(c).map((x) => x.toPrecision(3)).join(', ')}]`;
    fig.addEventListener('click', () => showUnit(c));
    return fig;
  });
  box.replaceChildren(...figs);
  const showUnit = (c: number) => {
    const d = normalizeMap(unitMap(c), { mode: 'raw', domain: range(c) });
    const pic = picture!.summary.fitted;
    const ov = overlay(pic, d.values, { colormap: 'viridis', alpha: 0.6, mapDims: [h, w] });
    const cv = document.createElement('canvas');
    drawRgb(cv, ov);
    const text = Object.assign(document.createElement('p'), { textContent: `${label} unit ${c}: mean activation ${means[c]!.toPrecision(4)}, range [${range(c).map((x) => x.toPrecision(4)).join(', ')}] (map ${w}x${h}, upsampled bilinearly over the picture)` });
    const vis = document.createElement('div');
    vis.className = 'unit-vis';
    const go = button(`Visualize unit ${c} by optimization (${VIS_STEPS} steps)`, () => void visualizeUnit(tensor, c, label, vis, go), 'vis-run');
    const info = document.createElement('div');
    info.append(text, go, vis);
    $('unit-detail').replaceChildren(cv, info);
  };
  if (shown.length) showUnit(shown[0]!);
}

const VIS_STEPS = 128;

/** Activation maximization of one unit (the library's feature visualization, Lucid's defaults), with progress and cancel. */
async function visualizeUnit(tensor: string, unit: number, label: string, box: HTMLElement, go: HTMLButtonElement): Promise<void> {
  if (busy) return;
  clearError();
  setBusy(true);
  go.disabled = true;
  const cancel = $<HTMLButtonElement>('cancel');
  cancel.disabled = false;
  const text = Object.assign(document.createElement('p'), { className: 'muted', textContent: 'optimizing…' });
  box.replaceChildren(text);
  const call = engine.call({ type: 'visualizeUnit', tensor, unit, steps: VIS_STEPS }, (done, total) => (text.textContent = `optimizing: step ${done} / ${total}`));
  runningId = call.id;
  try {
    const r = await call.result;
    const cv = document.createElement('canvas');
    cv.className = 'vis';
    drawRgb(cv, r.image);
    text.textContent = `${label} unit ${unit}: channel mean ${r.start.toPrecision(3)} → ${r.end.toPrecision(3)} in ${(r.ms / 1000).toFixed(1)} s (Fourier parametrization, decorrelated colour, Lucid's transforms, Adam)`;
    box.replaceChildren(cv, text);
  } catch (e) {
    if (e instanceof EngineError && e.code === 'CANCELLED') text.textContent = 'cancelled';
    else {
      showError(e);
      text.textContent = '';
    }
  } finally {
    runningId = undefined;
    cancel.disabled = true;
    go.disabled = false;
    setBusy(false);
  }
}

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  buildMethodList();
  buildOptions();
  bindControls();
  const query = new URLSearchParams(location.search);
  const ep = query.get('ep') === 'webgpu' ? 'webgpu' : 'wasm';
  // runtime tuning (benchmarks): ?threads=N, ?spin=1
  const threads = Number(query.get('threads') ?? '') || undefined;
  const spin = query.get('spin') === '1';
  try {
    const rt = await engine.call({ type: 'init', wasmPaths: new URL('ort/', base).href, ep, spin, ...(threads ? { threads } : {}), ...(engine.cancelFlag ? { cancelFlag: engine.cancelFlag } : {}) }).result;
    probe.marks.runtime = performance.now();
    $('runtime').textContent = `${rt.backend}, ${rt.threads} thread${rt.threads > 1 ? 's' : ''}${rt.crossOriginIsolated ? '' : ' (not cross-origin isolated: no threads)'}${rt.webgpu && ep === 'wasm' ? '; WebGPU available (?ep=webgpu)' : ''}`;
  } catch (e) {
    showError(e);
    $('runtime').textContent = 'the runtime did not start';
    return;
  }
  const wanted = { ...state };
  const listing = listExamples();
  let ok = false;
  if (wanted.model === 'default') ok = await loadDefaultModel();
  else if (wanted.model.startsWith('file:')) {
    setStatus(`this view was made with the model file '${wanted.model.slice(5)}' on another machine: open it with "Open model…"`);
  }
  probe.marks.model = performance.now();
  await listing;
  if (ok && wanted.image && examples.includes(wanted.image)) {
    // with methods to run, the run reports the predictions: one compiled graph before the first result
    ok = await loadExample(wanted.image, wanted.methods.length === 0);
    probe.marks.picture = performance.now();
  }
  if (wanted.units && ok) showTab('units');
  // ready: the page takes input now (a run the URL asked for may still be going)
  probe.ready = true;
  document.body.dataset.ready = '1';
  if (ok && wanted.image && wanted.methods.length) await run();
  // after the start (whose steps clear the banner), what in the URL could not be used
  if (initial.problems.length) showError(new EngineError('USAGE', initial.problems.map((p) => `in the page's URL: ${p}`).join('\n')));
}

void start();
