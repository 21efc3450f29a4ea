/**
 * `cnnlens gradient`: the gradient of a class score (or of a seeded output) with respect to the
 * input or any tensor, written as a .npy file. This file parses and checks the arguments and does
 * the file I/O; the computation is `computeGradient` in ../autodiff/gradient-job.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RuleSetName } from '../autodiff/rulesets.js';
import { readNpyFile, writeNpyFileAtomic } from '../data/npy-file.js';
import { toHostTensor } from '../data/npy.js';
import { fail } from '../errors.js';
import type { Model } from '../onnx/ir.js';
import { loadModelFile } from '../onnx/load-file.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';

/** Backward rule sets the command offers (a subset of the library's rule sets). */
export const GRADIENT_RULES = ['standard', 'guided', 'deconvnet'] as const satisfies readonly RuleSetName[];
export type GradientRules = (typeof GRADIENT_RULES)[number];

export const MAX_THREADS = 1024;

export type { GradientTarget, GradientJobOptions } from '../autodiff/gradient-job.js';
import type { GradientJobOptions, GradientTarget } from '../autodiff/gradient-job.js';

/** The job as the command line gives it, before any file is read. */
export interface GradientArgs {
  readonly modelPath: string;
  readonly inputPath: string;
  readonly target: { readonly kind: 'class'; readonly index: number } | { readonly kind: 'seed'; readonly path: string };
  readonly wrt?: string;
  readonly rules: GradientRules;
  readonly threads?: number;
  readonly outPath: string;
}

/** What the job computed: the gradient and, when known, what was differentiated. */
export interface ComputedGradient {
  readonly gradient: HostTensor;
  /** the tensor whose values were seeded (e.g. the logits behind a final softmax) */
  readonly seeded?: string;
  /** the final activation looked through, if any */
  readonly stripped?: string;
  readonly wrt?: string;
}

export type ComputeGradient = (options: GradientJobOptions) => Promise<HostTensor | ComputedGradient>;

export const GRADIENT_USAGE = `Usage: cnnlens gradient --model MODEL.onnx --input X.npy --target K --out G.npy
                        [--wrt TENSOR] [--rules standard|guided|deconvnet] [--threads N]

Computes the gradient of a class score with respect to the input (or to any tensor) and writes it
as a .npy file of the input's (or the tensor's) shape. The class score is the pre-softmax logit.

Options:
  --model PATH     the ONNX model
  --input PATH     the input batch as .npy, in the model's input layout and preprocessing
                   (e.g. float32 [N, 3, 224, 224])
  --target K       a class index (0-based), or the path of a .npy seed of the model output's
                   shape: the gradient of sum(seed * output)
  --wrt TENSOR     differentiate with respect to this tensor instead of the input
                   (see 'cnnlens info MODEL' for tensor names, e.g. a conv feature map for Grad-CAM)
  --rules R        backward rules: standard (the true gradient, default), guided (guided
                   backpropagation) or deconvnet
  --threads N      ONNX Runtime threads (default: all cores)
  --out PATH       where to write the gradient (.npy; written atomically)
  -h, --help       show this help
`;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Parses and checks the command line, without reading any file. Returns undefined for --help.
 * Throws USAGE errors for bad usage and a typed error for missing files.
 */
export function parseGradientArgs(argv: string[]): GradientArgs | undefined {
  const { values } = parseCommandArgs('gradient', argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    target: { type: 'string' },
    wrt: { type: 'string' },
    rules: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, false);
  if (values.help) return undefined;
  const modelPath = requireOption('gradient', 'model', values.model);
  const inputPath = requireOption('gradient', 'input', values.input);
  const targetText = requireOption('gradient', 'target', values.target);
  const outPath = requireOption('gradient', 'out', values.out);

  let target: GradientArgs['target'];
  if (/^[+-]?\d+$/.test(targetText.trim())) {
    const index = Number(targetText);
    if (!Number.isSafeInteger(index) || index < 0) fail('USAGE', `--target ${targetText}: a class index is 0 or more.`);
    target = { kind: 'class', index };
  } else if (isFile(targetText)) {
    target = { kind: 'seed', path: targetText };
  } else {
    fail('USAGE', `--target must be a class index or the path of a .npy seed; '${targetText}' is neither a number nor an existing file.`);
  }

  const rulesText = values.rules ?? 'standard';
  if (!(GRADIENT_RULES as readonly string[]).includes(rulesText)) {
    fail('USAGE', `--rules must be one of ${GRADIENT_RULES.join(', ')}; got '${rulesText}'.`);
  }
  const rules = rulesText as GradientRules;

  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = /^\d+$/.test(values.threads.trim()) ? Number(values.threads) : NaN;
    if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
      fail('USAGE', `--threads must be an integer from 1 to ${MAX_THREADS}; got '${values.threads}'.`);
    }
  }

  const wrt = values.wrt;
  if (wrt !== undefined && wrt.trim() === '') fail('USAGE', '--wrt needs a tensor name.');

  // fail before any computation on paths that cannot work
  if (!isFile(modelPath)) fail('IO', `model file '${modelPath}' does not exist or is not a file.`);
  if (!isFile(inputPath)) fail('IO', `input file '${inputPath}' does not exist or is not a file.`);
  const outDir = dirname(resolve(outPath));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) fail('USAGE', `--out ${outPath}: the directory '${outDir}' does not exist.`);
  if (existsSync(outPath) && statSync(outPath).isDirectory()) fail('USAGE', `--out ${outPath} is a directory; give a file path such as ${outPath.replace(/\/+$/, '')}/gradient.npy.`);
  if (resolve(outPath) === resolve(inputPath) || resolve(outPath) === resolve(modelPath)) {
    fail('USAGE', `--out ${outPath} would overwrite the ${resolve(outPath) === resolve(inputPath) ? 'input' : 'model'}; choose another path.`);
  }

  return {
    modelPath,
    inputPath,
    target,
    rules,
    outPath,
    ...(wrt !== undefined ? { wrt } : {}),
    ...(threads !== undefined ? { threads } : {}),
  };
}

/** Index of the first NaN or ±Infinity in a float array, or -1. */
function firstNonFinite(t: HostTensor): number {
  if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) return -1;
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return i;
  return -1;
}

async function readFinite(path: string, role: string): Promise<HostTensor> {
  const t = toHostTensor(await readNpyFile(path));
  const bad = firstNonFinite(t);
  if (bad >= 0) fail('INPUT_VALUE', `${role} '${path}' holds ${String(t.data[bad])} at flat index ${bad}; gradients need finite values.`);
  return t;
}

/** Loads what the arguments name and builds the job for computeGradient. */
export async function loadGradientJob(args: GradientArgs, backend: RuntimeBackend): Promise<GradientJobOptions> {
  const model = loadModelFile(args.modelPath);
  const input = await readFinite(args.inputPath, 'input');
  const target: GradientTarget = args.target.kind === 'class'
    ? args.target
    : { kind: 'seed', seed: await readFinite(args.target.path, 'seed'), path: args.target.path };
  return {
    model,
    modelPath: args.modelPath,
    input,
    inputPath: args.inputPath,
    target,
    rules: args.rules,
    backend,
    ...(args.wrt !== undefined ? { wrt: args.wrt } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
  };
}

export interface GradientCommandDeps {
  compute?: ComputeGradient;
  backend?: RuntimeBackend;
}

/** `cnnlens gradient ...`; returns the exit code, throws CnnlensError on failure. */
export async function gradientCommand(argv: string[], io: CliIO = processIO, deps: GradientCommandDeps = {}): Promise<number> {
  const args = parseGradientArgs(argv);
  if (!args) {
    io.out(GRADIENT_USAGE);
    return EXIT_OK;
  }
  // loaded on use: the native runtime and the autodiff code are not needed by other commands
  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const compute = deps.compute ?? (await import('../autodiff/gradient-job.js')).runGradientJob;
  const loaded = await loadGradientJob(args, backend);
  // progress for batches that run in several chunks, on a terminal only
  const job: GradientJobOptions = process.stderr.isTTY
    ? { ...loaded, onProgress: (done, total) => { if (total > 1) io.err(`\rgradient: ${done}/${total} examples${done === total ? '\n' : ''}`); } }
    : loaded;
  const result = await compute(job);
  const computed: ComputedGradient = 'gradient' in result ? result : { gradient: result };
  const gradient = computed.gradient;
  await writeNpyFileAtomic(args.outPath, gradient);
  if (computed.seeded) {
    const score = job.target.kind === 'class' ? `${computed.seeded}[${job.target.index}]` : `sum(seed * ${computed.seeded})`;
    const note = computed.stripped ? ` (the input of the final ${computed.stripped}: the pre-activation logits)` : '';
    io.err(`d ${score} / d ${computed.wrt ?? 'input'}, ${job.rules} rules${note}\n`);
  }
  io.err(`wrote ${args.outPath}: ${gradient.type} [${gradient.dims.join(', ')}]\n`);
  return EXIT_OK;
}
