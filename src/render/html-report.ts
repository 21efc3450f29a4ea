/**
 * A self-contained HTML report: one section per input with its caption, its figures (PNG bytes inlined
 * as base64 data URIs) and an optional summary table. No scripts, no external resources; every piece of
 * text is HTML-escaped.
 */

export interface ReportFigure {
  readonly label: string;
  readonly png: Uint8Array;
}

export interface ReportEntry {
  /** what was explained, e.g. the image file name */
  readonly input: string;
  readonly caption?: string;
  readonly figures: readonly ReportFigure[];
  /** key–value facts shown as a table (numbers, strings, or anything JSON can show) */
  readonly summary?: Readonly<Record<string, unknown>>;
}

export interface ReportOptions {
  readonly title: string;
  readonly entries: readonly ReportEntry[];
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (written out so the report builds the same in Node and browsers). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? B64[n & 63]! : '=';
  }
  return out;
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (v === undefined) return '';
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; background: #fff; }
h1 { font-size: 1.5rem; }
section { border-top: 1px solid #ddd; padding: 1rem 0; }
h2 { font-size: 1.1rem; margin: 0 0 .25rem; word-break: break-all; }
.caption { color: #555; margin: 0 0 .75rem; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; }
figure img { display: block; max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .9rem; color: #444; margin-top: .25rem; }
table { border-collapse: collapse; margin-top: .75rem; font-size: .9rem; }
td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
`;

function entryHtml(e: ReportEntry): string {
  const figures = e.figures
    .map((f) => `<figure><img alt="${escapeHtml(f.label)}" src="data:image/png;base64,${base64(f.png)}"><figcaption>${escapeHtml(f.label)}</figcaption></figure>`)
    .join('\n');
  const rows = Object.entries(e.summary ?? {})
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(showValue(v))}</td></tr>`)
    .join('\n');
  return [
    '<section>',
    `<h2>${escapeHtml(e.input)}</h2>`,
    e.caption ? `<p class="caption">${escapeHtml(e.caption)}</p>` : '',
    `<div class="figures">\n${figures}\n</div>`,
    rows ? `<table>\n${rows}\n</table>` : '',
    '</section>',
  ].filter((s) => s !== '').join('\n');
}

/** The report as one HTML document. */
export function htmlReport(options: ReportOptions): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(options.title)}</h1>`,
    ...options.entries.map(entryHtml),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
