/**
 * The process-wide compiled-session caches every job draws from: one cache per backend and thread
 * count (sessions are created with a fixed thread count), keyed by model content and plan.
 */
import { saveModel } from '../onnx/load.js';
import type { Model } from '../onnx/ir.js';
import type { RuntimeBackend } from './backend.js';
import { SessionCache, modelId } from './cache.js';

const caches = new WeakMap<RuntimeBackend, Map<number, SessionCache>>();
const ids = new WeakMap<Model, string>();

/** Compiled plans hold a copy of the weights each: a forward, a head gradient and an input gradient per model fit. */
const CAPACITY = 6;

export function sessionsFor(backend: RuntimeBackend, threads = 0): SessionCache {
  let perThreads = caches.get(backend);
  if (!perThreads) caches.set(backend, (perThreads = new Map()));
  let c = perThreads.get(threads);
  if (!c) perThreads.set(threads, (c = new SessionCache(backend, { capacity: CAPACITY, ...(threads ? { sessionOptions: { threads } } : {}) })));
  return c;
}

/** A content hash of the model, computed once per model object. */
export function modelKey(model: Model): string {
  let id = ids.get(model);
  if (!id) ids.set(model, (id = modelId(saveModel(model))));
  return id;
}

/** Releases every cached session of a backend (call before exit in long-lived processes that are done). */
export async function releaseSessions(backend: RuntimeBackend): Promise<void> {
  const perThreads = caches.get(backend);
  caches.delete(backend);
  await Promise.all([...(perThreads?.values() ?? [])].map((c) => c.clear()));
}
