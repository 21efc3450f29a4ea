/**
 * The page's state in the URL's fragment, so a view can be shared: model, example picture, methods,
 * their options, target, layer and display settings. Values read from a URL are checked like any other
 * untyped input; what does not check out is dropped with a message, never half-applied.
 */
import { COLORMAP_NAMES, SIGN_MODES, getMethod, type ColormapName, type SignMode } from './lib.js';

export interface PageState {
  /** 'default' (the served model) or 'file:<name>' (a file chosen on the user's machine: not restorable) */
  model: string;
  /** an example picture the server offers ('' when the picture is the user's own file) */
  image: string;
  methods: string[];
  options: Record<string, string>;
  target: string;
  /** a second class whose logit is subtracted ('' = none) */
  versus: string;
  layer: string;
  normalize: 'per-image' | 'shared';
  sign: SignMode | 'auto';
  colormap: ColormapName | 'auto';
  alpha: number;
  /** percentile of the kept magnitudes shown at the end of the colour scale */
  percentile: number;
  /** layer browser: the layer shown ('' = closed) */
  units: string;
}

export const DEFAULT_STATE: PageState = {
  model: 'default',
  image: 'chelsea.png',
  methods: ['gradcam'],
  options: {},
  target: '',
  versus: '',
  layer: '',
  normalize: 'per-image',
  sign: 'auto',
  colormap: 'auto',
  alpha: 0.5,
  percentile: 99.5,
  units: '',
};

export function readState(hash: string): { state: PageState; problems: string[] } {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s: PageState = { ...DEFAULT_STATE, methods: [...DEFAULT_STATE.methods], options: {} };
  const problems: string[] = [];
  if (p.has('model')) s.model = p.get('model')!;
  if (p.has('image')) s.image = p.get('image')!;
  if (p.has('methods')) {
    s.methods = [];
    for (const id of p.get('methods')!.split(',').filter(Boolean)) {
      try {
        getMethod(id);
        s.methods.push(id);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  for (const [k, v] of p) if (k.startsWith('o.')) s.options[k.slice(2)] = v;
  s.target = p.get('target') ?? '';
  s.versus = p.get('versus') ?? '';
  for (const k of ['target', 'versus'] as const) {
    if (s[k] !== '' && !/^\d+$/.test(s[k])) {
      problems.push(`${k} must be a class index, got '${s[k]}'.`);
      s[k] = '';
    }
  }
  s.layer = p.get('layer') ?? '';
  s.units = p.get('units') ?? '';
  const norm = p.get('normalize');
  if (norm === 'per-image' || norm === 'shared') s.normalize = norm;
  else if (norm !== null) problems.push(`normalize must be per-image or shared, got '${norm}'.`);
  const sign = p.get('sign');
  if (sign !== null) {
    if (sign === 'auto' || (SIGN_MODES as readonly string[]).includes(sign)) s.sign = sign as SignMode | 'auto';
    else problems.push(`sign must be auto or one of ${SIGN_MODES.join(', ')}, got '${sign}'.`);
  }
  const cmap = p.get('colormap');
  if (cmap !== null) {
    if (cmap === 'auto' || (COLORMAP_NAMES as readonly string[]).includes(cmap)) s.colormap = cmap as ColormapName | 'auto';
    else problems.push(`colormap must be auto or one of ${COLORMAP_NAMES.join(', ')}, got '${cmap}'.`);
  }
  const alpha = p.get('alpha');
  if (alpha !== null) {
    const a = Number(alpha);
    if (alpha.trim() !== '' && a >= 0 && a <= 1) s.alpha = a;
    else problems.push(`alpha must lie in [0, 1], got '${alpha}'.`);
  }
  const pct = p.get('percentile');
  if (pct !== null) {
    const v = Number(pct);
    if (pct.trim() !== '' && v >= 50 && v <= 100) s.percentile = v;
    else problems.push(`percentile must lie in [50, 100], got '${pct}'.`);
  }
  return { state: s, problems };
}

export function writeState(s: PageState): string {
  const p = new URLSearchParams();
  p.set('model', s.model);
  if (s.image) p.set('image', s.image);
  p.set('methods', s.methods.join(','));
  for (const [k, v] of Object.entries(s.options)) p.set(`o.${k}`, v);
  if (s.target) p.set('target', s.target);
  if (s.versus) p.set('versus', s.versus);
  if (s.layer) p.set('layer', s.layer);
  if (s.normalize !== DEFAULT_STATE.normalize) p.set('normalize', s.normalize);
  if (s.sign !== 'auto') p.set('sign', s.sign);
  if (s.colormap !== 'auto') p.set('colormap', s.colormap);
  if (s.alpha !== DEFAULT_STATE.alpha) p.set('alpha', String(s.alpha));
  if (s.percentile !== DEFAULT_STATE.percentile) p.set('percentile', String(s.percentile));
  if (s.units) p.set('units', s.units);
  return `#${p.toString()}`;
}
