/**
 * Pictures of a 2-D embedding: a scatter plot PNG (points coloured by label or prediction, misclassified
 * points ringed in black, a legend) and a self-contained interactive HTML page (colour by label or by
 * prediction, the picture under the pointer shown on hover, misclassified points marked). The page holds
 * its data inline and its thumbnails in one sprite sheet (PNG data URI): no scripts or files from outside.
 */
import type { RgbImage } from '../../image/types.js';
import { createCanvas, fillRect, paste, type Rgb } from '../../render/canvas.js';
import { drawText, LINE_HEIGHT, textWidth } from '../../render/font.js';
import { base64, escapeHtml } from '../../render/html-report.js';
import { encodePng } from '../../render/png.js';
import { resizeNearest } from '../search-render.js';

/** matplotlib's tab10, then tab20's lighter tones for up to 20 classes; grey for unknown */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
  [174, 199, 232], [255, 187, 120], [152, 223, 138], [255, 152, 150], [197, 176, 213], [196, 156, 148], [247, 182, 210], [199, 199, 199], [219, 219, 141], [158, 218, 229],
];
const UNKNOWN: Rgb = [160, 160, 160];
const colorOf = (c: number): Rgb => (c >= 0 ? PALETTE[c % PALETTE.length]! : UNKNOWN);

export interface EmbeddingPlot {
  /** n × 2 */
  readonly points: Float64Array;
  readonly labels: Int32Array;
  readonly predictions: Int32Array;
  readonly classes: readonly string[];
  readonly title: string;
}

function bounds(p: Float64Array): [number, number, number, number] {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < p.length; i += 2) {
    x0 = Math.min(x0, p[i]!);
    x1 = Math.max(x1, p[i]!);
    y0 = Math.min(y0, p[i + 1]!);
    y1 = Math.max(y1, p[i + 1]!);
  }
  return [x0, x1 === x0 ? x0 + 1 : x1, y0, y1 === y0 ? y0 + 1 : y1];
}

/** The scatter plot: `size` pixels square plot area, legend below. */
export function renderScatter(plot: EmbeddingPlot, options: { size?: number; colorBy?: 'label' | 'prediction' } = {}): RgbImage {
  const size = options.size ?? 720;
  const by = options.colorBy ?? 'label';
  const pad = 12;
  const legendRows = Math.ceil(plot.classes.length / 5) + 1;
  const canvas = createCanvas(size + 2 * pad, size + 2 * pad + LINE_HEIGHT * (legendRows + 2));
  drawText(canvas, plot.title, pad, 4, [32, 32, 32]);
  const top = pad + LINE_HEIGHT;
  const [x0, x1, y0, y1] = bounds(plot.points);
  const span = Math.max(x1 - x0, y1 - y0);
  const px = (x: number) => pad + Math.round(((x - x0) / span) * (size - 6) + 3 + ((span - (x1 - x0)) / span) * (size - 6) / 2);
  const py = (y: number) => top + Math.round(((y - y0) / span) * (size - 6) + 3 + ((span - (y1 - y0)) / span) * (size - 6) / 2);
  const n = plot.labels.length;
  const wrong = (i: number) => plot.labels[i]! >= 0 && plot.labels[i] !== plot.predictions[i];
  for (let i = 0; i < n; i++) {
    const c = by === 'label' ? plot.labels[i]! : plot.predictions[i]!;
    fillRect(canvas, px(plot.points[2 * i]!) - 1, py(plot.points[2 * i + 1]!) - 1, 3, 3, colorOf(c));
  }
  // misclassified points on top, ringed
  for (let i = 0; i < n; i++) {
    if (!wrong(i)) continue;
    const x = px(plot.points[2 * i]!);
    const y = py(plot.points[2 * i + 1]!);
    fillRect(canvas, x - 2, y - 2, 5, 5, [0, 0, 0]);
    fillRect(canvas, x - 1, y - 1, 3, 3, colorOf(by === 'label' ? plot.labels[i]! : plot.predictions[i]!));
  }
  let lx = pad;
  let ly = top + size + 6;
  plot.classes.forEach((name, c) => {
    if (c > 0 && c % 5 === 0) {
      lx = pad;
      ly += LINE_HEIGHT + 2;
    }
    fillRect(canvas, lx, ly + 1, 7, 7, colorOf(c));
    drawText(canvas, name, lx + 10, ly, [32, 32, 32]);
    lx += Math.max(90, textWidth(name) + 24);
  });
  const errors = Array.from({ length: n }, (_, i) => i).filter(wrong).length;
  drawText(canvas, `colour: ${by}; ringed in black: misclassified (${errors} of ${n})`, pad, ly + LINE_HEIGHT + 4, [32, 32, 32]);
  return canvas;
}

/** Thumbnails in one sprite sheet: cell × cell pixels each, `columns` to a row. */
export function spriteSheet(pictures: readonly RgbImage[], cell: number): { png: Uint8Array; columns: number } {
  const columns = Math.max(1, Math.ceil(Math.sqrt(pictures.length)));
  const rows = Math.ceil(pictures.length / columns);
  const sheet = createCanvas(columns * cell, Math.max(1, rows) * cell, [0, 0, 0]);
  pictures.forEach((p, i) => paste(sheet, p.width === cell && p.height === cell ? p : resizeNearest(p, cell, cell), (i % columns) * cell, Math.floor(i / columns) * cell));
  return { png: encodePng(sheet), columns };
}

export function renderEmbeddingHtml(plot: EmbeddingPlot, thumbs: { png: Uint8Array; columns: number; cell: number } | undefined, names?: readonly string[]): string {
  const data = {
    x: Array.from({ length: plot.labels.length }, (_, i) => Number(plot.points[2 * i]!.toFixed(3))),
    y: Array.from({ length: plot.labels.length }, (_, i) => Number(plot.points[2 * i + 1]!.toFixed(3))),
    label: [...plot.labels],
    pred: [...plot.predictions],
    classes: plot.classes,
    palette: PALETTE.map((c) => `rgb(${c.join(',')})`),
    columns: thumbs?.columns ?? 0,
    cell: thumbs?.cell ?? 0,
    ...(names ? { names } : {}),
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(plot.title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
#wrap{position:relative;display:inline-block}
canvas{border:1px solid #ccc;cursor:crosshair}
#tip{position:absolute;pointer-events:none;background:#fff;border:1px solid #888;padding:4px;display:none;font-size:12px}
#tip div.t{width:${(thumbs?.cell ?? 0) * 3}px;height:${(thumbs?.cell ?? 0) * 3}px;image-rendering:pixelated;background-repeat:no-repeat}
#legend span{display:inline-block;margin-right:12px}
#legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h3>${escapeHtml(plot.title)}</h3>
<p>Colour by <label><input type="radio" name="by" value="label" checked> label</label>
<label><input type="radio" name="by" value="pred"> prediction</label>
&nbsp; <label><input type="checkbox" id="wrongOnly"> misclassified only</label>
&nbsp; Misclassified points are ringed in black. Hover a point to see its picture.</p>
<div id="wrap"><canvas id="c" width="800" height="800"></canvas><div id="tip"></div></div>
<div id="legend"></div>
<script>
const D=${json};
const SHEET=${thumbs ? `"data:image/png;base64,${base64(thumbs.png)}"` : 'null'};
const c=document.getElementById('c'),g=c.getContext('2d'),tip=document.getElementById('tip');
const n=D.x.length;let by='label',wrongOnly=false;
const x0=Math.min(...D.x),x1=Math.max(...D.x),y0=Math.min(...D.y),y1=Math.max(...D.y);
const s=Math.max(x1-x0,y1-y0)||1;const W=c.width-20;
const PX=D.x.map(v=>10+(v-x0)/s*W+((s-(x1-x0))/s)*W/2),PY=D.y.map(v=>10+(v-y0)/s*W+((s-(y1-y0))/s)*W/2);
const wrong=i=>D.label[i]>=0&&D.label[i]!==D.pred[i];
const col=k=>k>=0?D.palette[k%D.palette.length]:'#aaa';
function draw(){g.clearRect(0,0,c.width,c.height);
for(let i=0;i<n;i++){if(wrongOnly&&!wrong(i))continue;g.fillStyle=col(by==='label'?D.label[i]:D.pred[i]);g.fillRect(PX[i]-1.5,PY[i]-1.5,3,3);}
for(let i=0;i<n;i++){if(!wrong(i))continue;g.strokeStyle='#000';g.lineWidth=1.2;g.beginPath();g.arc(PX[i],PY[i],3.5,0,7);g.stroke();}}
document.getElementById('legend').innerHTML=D.classes.map((k,i)=>'<span><i style="background:'+col(i)+'"></i>'+k.replace(/[&<>]/g,'')+'</span>').join('');
document.querySelectorAll('input[name=by]').forEach(r=>r.onchange=()=>{by=r.value;draw();});
document.getElementById('wrongOnly').onchange=e=>{wrongOnly=e.target.checked;draw();};
const G=20,grid=new Map();for(let i=0;i<n;i++){const k=Math.floor(PX[i]/G)+','+Math.floor(PY[i]/G);(grid.get(k)||grid.set(k,[]).get(k)).push(i);}
c.onmousemove=e=>{const r=c.getBoundingClientRect(),mx=e.clientX-r.left,my=e.clientY-r.top;let best=-1,bd=64;
const gx=Math.floor(mx/G),gy=Math.floor(my/G);for(let a=-1;a<=1;a++)for(let b=-1;b<=1;b++)for(const i of grid.get((gx+a)+','+(gy+b))||[]){if(wrongOnly&&!wrong(i))continue;const d=(PX[i]-mx)**2+(PY[i]-my)**2;if(d<bd){bd=d;best=i;}}
if(best<0){tip.style.display='none';return;}
const name=k=>k>=0?(D.classes[k]??String(k)):'?';let h='';
if(SHEET){const cs=D.cell*3;h+='<div class="t" style="background-image:url('+SHEET+');background-size:'+(D.columns*cs)+'px auto;background-position:-'+(best%D.columns)*cs+'px -'+Math.floor(best/D.columns)*cs+'px"></div>';}
h+='#'+best+(D.names?' '+D.names[best].replace(/[&<>]/g,''):'')+'<br>label: '+name(D.label[best])+'<br>prediction: '+name(D.pred[best])+(wrong(best)?' <b>(wrong)</b>':'');
tip.innerHTML=h;tip.style.display='block';tip.style.left=(mx+12)+'px';tip.style.top=(my+12)+'px';};
c.onmouseleave=()=>{tip.style.display='none';};
draw();
</script></body></html>
`;
}

/** Fraction of points whose k nearest other points in the map (majority vote) carry their label. */
export function knnAccuracy(points: Float64Array, labels: Int32Array, k = 5): number {
  const n = labels.length;
  // a uniform grid over the map, searched in growing rings until k points are certainly found
  const [x0, x1, y0, y1] = bounds(points);
  const cells = Math.max(1, Math.floor(Math.sqrt(n / 4)));
  const sx = (x1 - x0) / cells || 1;
  const sy = (y1 - y0) / cells || 1;
  const cellOf = (i: number): [number, number] => [Math.min(cells - 1, Math.floor((points[2 * i]! - x0) / sx)), Math.min(cells - 1, Math.floor((points[2 * i + 1]! - y0) / sy))];
  const grid: number[][] = Array.from({ length: cells * cells }, () => []);
  for (let i = 0; i < n; i++) {
    const [a, b] = cellOf(i);
    grid[b * cells + a]!.push(i);
  }
  let correct = 0;
  let counted = 0;
  const classes = Math.max(...labels) + 1;
  for (let i = 0; i < n; i++) {
    if (labels[i]! < 0) continue;
    const [a, b] = cellOf(i);
    const cand: [number, number][] = [];
    for (let r = 0; r <= cells; r++) {
      for (let gy = b - r; gy <= b + r; gy++) {
        for (let gx = a - r; gx <= a + r; gx++) {
          if (gx < 0 || gy < 0 || gx >= cells || gy >= cells || (Math.abs(gx - a) !== r && Math.abs(gy - b) !== r)) continue;
          for (const j of grid[gy * cells + gx]!) if (j !== i) cand.push([(points[2 * i]! - points[2 * j]!) ** 2 + (points[2 * i + 1]! - points[2 * j + 1]!) ** 2, j]);
        }
      }
      // points beyond ring r are at least r cells away
      cand.sort((p, q) => p[0] - q[0]);
      if (cand.length >= k && cand[k - 1]![0] <= (r * Math.min(sx, sy)) ** 2) break;
    }
    const votes = new Array<number>(classes).fill(0);
    for (let m = 0; m < Math.min(k, cand.length); m++) votes[labels[cand[m]![1]]!]!++;
    if (votes.indexOf(Math.max(...votes)) === labels[i]) correct++;
    counted++;
  }
  return correct / Math.max(1, counted);
}
