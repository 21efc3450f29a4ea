/** `cnnlens dream IMAGE --layer L[,L...]`: DeepDream of a photo; writes the PNG and a JSON summary. */
import { basename, extname, join } from 'node:path';
import { fail } from '../errors.js';
import { dream } from '../featurevis/deepdream.js';
import { fromPictures } from '../featurevis/image-batch.js';
import { readImageFile } from '../image/read-file.js';
import { resizeBilinear } from '../image/resample.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, parseCommandArgs, processIO, type CliIO } from './common.js';
import { backendOf, ensureDir, loadModelFor, number, positiveInt, progressLine, writeRow, type VisualizeCommandDeps } from './visualize.js';

export const DREAM_USAGE = `Usage: cnnlens dream IMAGE --layer L[,L...] [options]

DeepDream: amplifies what the layers see in the picture (gradient ascent on the mean square of their
activations) at several scales, on tiles of the model's input size with randomly shifted seams.

Options:
  --model FILE      the model (default: the default model)
  --spec FILE       a JSON sidecar describing the model's input
  --layer L,...     layers to amplify (several: their objectives are summed)
  --octaves N       scales, smallest first (default 4)
  --octave-scale X  size ratio between scales (default 1.4)
  --steps N         steps per scale (default 10)
  --step X          step size in [0, 1] pixel units (default 0.01)
  --size PX         resize the picture so its longer side is PX first (default: keep its size)
  --seed S          seeds the tile shifts (default 0)
  --threads N       ONNX Runtime threads
  --out FILE.png    (default cnnlens-out/<image>.dream.png); the JSON goes beside it
  --json            print the JSON summary on stdout
`;

export async function dreamCommand(argv: string[], io: CliIO = processIO, deps: VisualizeCommandDeps = {}): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('dream', argv, {
    model: { type: 'string' }, spec: { type: 'string' }, layer: { type: 'string' }, octaves: { type: 'string' }, 'octave-scale': { type: 'string' },
    steps: { type: 'string' }, step: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' },
    out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, true);
  if (v.help) {
    io.out(DREAM_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) fail('USAGE', `cnnlens dream takes one image, got ${positionals.length}. Run 'cnnlens dream --help'.`);
  if (!v.layer) fail('USAGE', "cnnlens dream needs --layer. Run 'cnnlens dream --help'.");
  const path = positionals[0]!;
  const layers = v.layer.split(',').map((s) => s.trim()).filter((s) => s);
  const out = v.out ?? join('cnnlens-out', `${basename(path, extname(path))}.dream.png`);
  if (!out.toLowerCase().endsWith('.png')) fail('USAGE', `--out must name a .png file, got '${out}'.`);
  const options = {
    octaves: number('octaves', v.octaves, 4, positiveInt),
    octaveScale: number('octave-scale', v['octave-scale'], 1.4, (x) => x > 1),
    steps: number('steps', v.steps, 10, positiveInt),
    stepSize: number('step', v.step, 0.01, (x) => x > 0),
    seed: number('seed', v.seed, 0, Number.isInteger),
  };
  const size = v.size !== undefined ? number('size', v.size, 0, positiveInt) : undefined;
  const threads = v.threads !== undefined ? number('threads', v.threads, 0, positiveInt) : undefined;
  const model = await loadModelFor(v, io);
  let picture = await readImageFile(path);
  if (size) {
    const k = size / Math.max(picture.width, picture.height);
    picture = resizeBilinear(picture, Math.max(1, Math.round(picture.width * k)), Math.max(1, Math.round(picture.height * k)));
  }
  const backend = await backendOf(deps);
  ensureDir(out);
  const r = await dream(model, fromPictures([picture], model.input.channels), {
    ...options, backend, layers, ...(threads ? { threads } : {}),
    onProgress: (o, s, val) => progressLine(io, `dream: octave ${o + 1}/${options.octaves}, step ${s}/${options.steps}, objective ${val.toFixed(4)}`, o === options.octaves - 1 && s === options.steps),
  });
  await writeRow(out, r.image, []);
  const jsonFile = out.replace(/\.png$/i, '.json');
  const summary = { model: model.name, input: path, objective: r.objective, ...options, sizes: r.sizes, start: r.start, end: r.end, ms: Math.round(r.ms), files: { image: out, summary: jsonFile } };
  await writeFileAtomic(jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
  io.err(`objective ${r.start.toFixed(4)} -> ${r.end.toFixed(4)}; wrote ${out}\n`);
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;
}
