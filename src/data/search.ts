/**
 * Dataset search: the examples that activate each unit most (Zeiler & Fergus 2014, "Visualizing and
 * Understanding Convolutional Networks", Sec. 2.1 and Fig. 2; Erhan et al. 2009). A unit is a channel of
 * a feature map [N, C, H, W] — scored by its maximum or its mean over space — or an element of a
 * [N, C] tensor (a dense layer). The dataset is streamed once through one compiled forward pass that
 * exposes the layer; each unit keeps a bounded heap of its k best examples (see topk.ts), so thousands
 * of units cost one pass and units × k entries of memory. For conv units the strongest position is kept,
 * and `unitBox` (receptive-field.ts) gives the input patch that position sees.
 *
 * Checkpoints: every `checkpointEvery` examples the heaps and the next example index are written
 * atomically; a search started with the same checkpoint file, model, dataset, layer, units, k and
 * score resumes there. Since the heaps' order is total, a resumed search returns exactly what one run
 * returns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import { forward, type RunOptions } from '../methods/engine.js';
import { modelKey } from '../runtime/shared-sessions.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { inputBatches, type Dataset } from './dataset.js';
import { TopK, type TopEntry } from './topk.js';

export type UnitScore = 'max' | 'mean';

export interface SearchOptions {
  /** the tensor to search (a [N, C, H, W] feature map or a [N, C] tensor) */
  readonly tensor: string;
  /** channel indices to search; default all */
  readonly units?: readonly number[];
  /** examples kept per unit; default 9 */
  readonly top?: number;
  /** how a conv unit's map is scored: its maximum (default) or its mean over space */
  readonly score?: UnitScore;
  /** examples per forward call; default 256 */
  readonly batch?: number;
  /** checkpoint file (JSON, written atomically); resumed from when it matches */
  readonly checkpoint?: string;
  /** examples between checkpoints; default 5000 */
  readonly checkpointEvery?: number;
  /** stop after this many examples in this call (for tests of resumption); default: to the end */
  readonly stopAfter?: number;
  readonly run: RunOptions;
  /** examples done (including resumed ones) of the total, after each batch */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface UnitTop {
  readonly unit: number;
  /** best first */
  readonly top: readonly TopEntry[];
}

export interface SearchResult {
  readonly tensor: string;
  /** [C, H, W] for conv layers, [C] for dense ones */
  readonly shape: readonly number[];
  readonly score: UnitScore;
  readonly units: readonly UnitTop[];
  /** examples seen (the dataset length when complete) */
  readonly done: number;
  readonly complete: boolean;
  /** the example index the search started at (0, or where a checkpoint left off) */
  readonly resumedFrom: number;
  readonly seconds: number;
}

interface Checkpoint {
  readonly version: 1;
  readonly key: string;
  readonly next: number;
  readonly heaps: ReturnType<TopK['toJSON']>;
}

/** The per-example shape of a searchable tensor: [C, H, W] or [C]. */
export function unitShape(model: ImageModel, tensor: string): number[] {
  const s = model.shapes.get(tensor)?.shape;
  if (!s) fail('UNKNOWN_LAYER', `'${tensor}' is not a tensor of ${model.name}; run 'cnnlens info' to list its layers.`);
  const rest = s.slice(1);
  if ((rest.length !== 3 && rest.length !== 1) || rest.some((d) => typeof d !== 'number')) {
    fail('UNKNOWN_LAYER', `'${tensor}' has shape [${s.join(', ')}]; dataset search takes a conv feature map [N, C, H, W] or a dense layer [N, C] of fixed size.`);
  }
  return rest as number[];
}

/** Every unit exists in the tensor (channels 0..channels-1), none listed twice; else a usage error. */
export function checkUnits(units: readonly number[], channels: number, tensor: string): void {
  for (const u of units) if (!(Number.isInteger(u) && u >= 0 && u < channels)) fail('USAGE', `unit ${u} does not exist: '${tensor}' has units 0..${channels - 1}.`);
  if (new Set(units).size !== units.length) fail('USAGE', `units are listed twice: ${units.join(',')}.`);
}

/** Searches the dataset; see the file comment. */
export async function searchDataset(model: ImageModel, dataset: Dataset, options: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now();
  const shape = unitShape(model, options.tensor);
  const channels = shape[0]!;
  const plane = shape.length === 3 ? shape[1]! * shape[2]! : 1;
  const width = shape.length === 3 ? shape[2]! : 1;
  const spatial = shape.length === 3;
  const units = options.units ?? Array.from({ length: channels }, (_, i) => i);
  checkUnits(units, channels, options.tensor);
  const k = options.top ?? 9;
  if (!(Number.isInteger(k) && k >= 1)) fail('USAGE', `--top must be a positive integer, got ${k}.`);
  const score = options.score ?? 'max';
  const batch = options.batch ?? 256;
  const every = options.checkpointEvery ?? 5000;
  const key = JSON.stringify([modelKey(model.onnx), dataset.name, dataset.length, options.tensor, units, k, score, model.input]);

  let heaps = new TopK(units.length, k);
  let from = 0;
  if (options.checkpoint && existsSync(options.checkpoint)) {
    let c: Checkpoint;
    try {
      c = JSON.parse(readFileSync(options.checkpoint, 'utf8')) as Checkpoint;
    } catch (e) {
      fail('IO', `the checkpoint '${options.checkpoint}' cannot be read (${e instanceof Error ? e.message : String(e)}); delete it to start over.`, e);
    }
    if (c.version !== 1 || c.key !== key) fail('USAGE', `the checkpoint '${options.checkpoint}' belongs to another search (model, dataset, layer, units, --top or --score differ); delete it or give another --checkpoint.`);
    heaps = TopK.fromJSON(c.heaps);
    from = c.next;
  }
  const save = async (next: number) => {
    if (!options.checkpoint) return;
    const c: Checkpoint = { version: 1, key, next, heaps: heaps.toJSON() };
    await writeFileAtomic(options.checkpoint, JSON.stringify(c));
  };

  let done = from;
  let lastSaved = from;
  const stopAt = options.stopAfter === undefined ? dataset.length : Math.min(dataset.length, from + options.stopAfter);
  options.onProgress?.(done, dataset.length);
  if (done < stopAt) {
    for await (const b of inputBatches(dataset, model.input, Math.min(batch, stopAt - from), from)) {
      options.run.signal?.throwIfAborted();
      const count = Math.min(b.count, stopAt - b.start);
      const input = count === b.count ? b.input : { ...b.input, dims: [count, ...b.input.dims.slice(1)], data: b.input.data.subarray(0, (b.input.data.length / b.count) * count) };
      const out = await forward(model, input, [options.tensor], options.run);
      const acts = out.tensors[options.tensor]!.data as Float32Array;
      const per = channels * plane;
      for (let n = 0; n < count; n++) {
        const index = b.start + n;
        for (let j = 0; j < units.length; j++) {
          const off = n * per + units[j]! * plane;
          if (!spatial) {
            const v = acts[off]!;
            if (heaps.wouldEnter(j, v, index)) heaps.push(j, v, index, -1);
            continue;
          }
          let best = acts[off]!;
          let at = 0;
          let sum = 0;
          for (let p = 0; p < plane; p++) {
            const a = acts[off + p]!;
            sum += a;
            if (a > best) {
              best = a;
              at = p;
            }
          }
          const v = score === 'max' ? best : sum / plane;
          if (heaps.wouldEnter(j, v, index)) heaps.push(j, v, index, (Math.floor(at / width) << 16) | at % width);
        }
      }
      done = b.start + count;
      options.onProgress?.(done, dataset.length);
      if (done - lastSaved >= every && done < stopAt) {
        await save(done);
        lastSaved = done;
      }
      if (done >= stopAt) break;
    }
  }
  if (done > lastSaved || !options.checkpoint || !existsSync(options.checkpoint)) await save(done);
  return {
    tensor: options.tensor,
    shape,
    score,
    units: units.map((unit, j) => ({ unit, top: heaps.sorted(j) })),
    done,
    complete: done >= dataset.length,
    resumedFrom: from,
    seconds: (performance.now() - t0) / 1000,
  };
}
