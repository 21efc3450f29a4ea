/** The page's side of the engine worker: requests as promises, progress as callbacks, typed errors. */
import { CnnlensError } from './lib.js';
import type { Reply, Request, Responses, WireError } from './protocol.js';

/** A failure the worker reported, with its stable code ('CANCELLED' when the user cancelled). */
export class EngineError extends Error {
  constructor(readonly code: WireError['code'], message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface Call<T> {
  readonly id: number;
  readonly result: Promise<T>;
}

export class EngineClient {
  private readonly worker: Worker;
  private next = 1;
  /** shared with the worker when the page is cross-origin isolated (see protocol.ts) */
  readonly cancelFlag: Int32Array | undefined = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (done: number, total: number) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (ev: MessageEvent<Reply>) => {
      const r = ev.data;
      const p = this.pending.get(r.id);
      if (!p) return;
      if ('progress' in r) {
        p.progress?.(r.progress.done, r.progress.total);
        return;
      }
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new EngineError(r.error.code, r.error.message));
    };
    this.worker.onerror = (ev) => {
      const e = new EngineError('INTERNAL', `the engine worker failed: ${ev.message || 'it could not start'}`);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
  }

  call<K extends Request['type']>(req: Extract<Request, { type: K }>, progress?: (done: number, total: number) => void): Call<Responses[K]> {
    const id = this.next++;
    const result = new Promise<Responses[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(progress ? { progress } : {}) });
    });
    this.worker.postMessage({ id, req });
    return { id, result };
  }

  cancel(id: number): void {
    if (this.cancelFlag) Atomics.store(this.cancelFlag, 0, id);
    void this.call({ type: 'cancel', target: id }).result.catch(() => undefined);
  }
}

/** `error [CODE]: message`, as the command line prints errors. */
export function describeError(e: unknown): { code: string; message: string } {
  if (e instanceof EngineError || e instanceof CnnlensError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
