/**
 * A cache of compiled sessions (platform neutral). Compiling a graph costs far more than running it
 * once, and each session holds its own copy of the weights, so sessions are kept per key — the
 * caller composes the key from `modelId(bytes)`, the plan and the input size — and the least
 * recently used ones are released beyond a small count.
 */
import { fail } from '../errors.js';
import type { HostTensor, RuntimeBackend, RuntimeSession, SessionOptions } from './backend.js';

export interface SessionCacheOptions {
  /** sessions kept alive at once; default 4 */
  capacity?: number;
  /** options every session is created with */
  sessionOptions?: SessionOptions;
}

interface Entry {
  readonly promise: Promise<CachedSession>;
  session?: CachedSession;
}

/**
 * A session owned by the cache. Evicting it while a run is in flight defers the release until the
 * run settles; calling `release()` on it yourself is a no-op (the cache owns it).
 */
class CachedSession implements RuntimeSession {
  private inFlight = 0;
  private leases = 0;
  private evicted = false;
  private releasing: Promise<void> | undefined;

  constructor(readonly inner: RuntimeSession) {}

  get inputNames(): readonly string[] { return this.inner.inputNames; }
  get outputNames(): readonly string[] { return this.inner.outputNames; }
  get inputMetadata() { return this.inner.inputMetadata; }
  get outputMetadata() { return this.inner.outputMetadata; }

  async run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.evicted && this.leases === 0) fail('RUNTIME', 'this session was evicted from the session cache; get it from the cache again.');
    this.inFlight++;
    try {
      return await this.inner.run(feeds, fetch);
    } finally {
      this.inFlight--;
      this.disposeIfUnused();
    }
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Keeps the session usable across several runs (the chunks of one batch), even if evicted meanwhile.
   * Returns undefined when the session was already evicted.
   */
  lease(): (() => void) | undefined {
    if (this.evicted) return undefined;
    this.leases++;
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.leases--;
      this.disposeIfUnused();
    };
  }

  /** Marks the session evicted; releases it now if unused, else after its last run or lease. */
  evict(): Promise<void> {
    this.evicted = true;
    return this.inFlight === 0 && this.leases === 0 ? this.dispose() : Promise.resolve();
  }

  private disposeIfUnused(): void {
    if (this.evicted && this.inFlight === 0 && this.leases === 0) this.dispose().catch(unreported);
  }

  private dispose(): Promise<void> {
    this.releasing ??= this.inner.release();
    return this.releasing;
  }
}

export class SessionCache {
  readonly capacity: number;
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();

  constructor(readonly backend: RuntimeBackend, private readonly options: SessionCacheOptions = {}) {
    this.capacity = options.capacity ?? 4;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) fail('USAGE', `session cache capacity must be a positive integer, got ${String(options.capacity)}.`);
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The session for `key`, compiling `build()`'s model bytes on a miss. Concurrent calls with the
   * same key share one compilation. A failed build is not cached.
   */
  async get(key: string, build: () => Promise<Uint8Array>): Promise<RuntimeSession> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.promise;
    }
    // Release the least recently used sessions before compiling: each holds a copy of the weights.
    const victims = this.takeOldest(this.entries.size + 1 - this.capacity);
    const entry: Entry = {
      promise: (async () => {
        await Promise.all(victims.map(releaseEntry));
        const bytes = await build();
        return new CachedSession(await this.backend.createSession(bytes, this.options.sessionOptions));
      })(),
    };
    this.entries.set(key, entry);
    entry.promise.then(
      (s) => {
        entry.session = s;
        // evicted (or cleared) while compiling: nobody else can reach it
        if (this.entries.get(key) !== entry) s.evict().catch(unreported);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.promise;
  }

  /**
   * Like `get`, but the session stays usable until `release` is called, even if it is evicted in the
   * meantime (use it for work that spans several runs).
   */
  async acquire(key: string, build: () => Promise<Uint8Array>): Promise<{ session: RuntimeSession; release: () => void }> {
    // another caller may evict the session between its compilation and this lease: then compile again
    for (;;) {
      const session = (await this.get(key, build)) as CachedSession;
      const release = session.lease();
      if (release) return { session, release };
    }
  }

  /** Releases and forgets one key's session (no-op when absent). */
  async delete(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    await releaseEntry(entry);
  }

  /** Releases every session. */
  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(releaseEntry));
  }

  /** Removes the `n` least recently used entries from the map and returns them. */
  private takeOldest(n: number): Entry[] {
    const out: Entry[] = [];
    for (const [key, entry] of this.entries) {
      if (out.length >= n) break;
      out.push(entry);
      this.entries.delete(key);
    }
    return out;
  }
}

/** A deferred release has no caller to report a failure to; the session is unreachable either way. */
function unreported(): void {}

/** Entries still compiling are released by the `then` in `get` once they finish. */
async function releaseEntry(entry: Entry): Promise<void> {
  if (entry.session) await entry.session.evict();
}

/** Joins key parts with a separator that cannot occur inside them unescaped. */
export function cacheKey(...parts: readonly (string | number | readonly (string | number)[])[]): string {
  return parts.map((p) => (Array.isArray(p) ? p.join('x') : String(p)).replace(/[\\|]/g, '\\$&')).join('|');
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A stable 64-bit content id of a model's bytes, as 16 hex digits. Every byte counts; the same bytes
 * give the same id on every platform. Two independent 32-bit MurmurHash3-style lanes over
 * little-endian words, then the tail and the length; fast (about 1 GB/s), not cryptographic.
 */
export function modelId(bytes: Uint8Array): string {
  const len = bytes.length;
  const nWords = len >>> 2;
  let h1 = 0x9747b28c;
  let h2 = 0x5bd1e995;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const d1 = 0x85ebca77;
  const d2 = 0xc2b2ae3d;
  const mix = (k: number): void => {
    let a = Math.imul(k, c1);
    a = (a << 15) | (a >>> 17);
    h1 ^= Math.imul(a, c2);
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let b = Math.imul(k, d1);
    b = (b << 17) | (b >>> 15);
    h2 ^= Math.imul(b, d2);
    h2 = (h2 << 11) | (h2 >>> 21);
    h2 = (Math.imul(h2, 9) + 0x52dce729) | 0;
  };
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, nWords);
    for (let i = 0; i < nWords; i++) mix(words[i]!);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < nWords; i++) mix(dv.getUint32(i * 4, true));
  }
  let tail = 0;
  for (let i = nWords * 4; i < len; i++) tail |= bytes[i]! << ((i & 3) * 8);
  mix(tail);
  // the length separates inputs that differ only by trailing zero bytes
  mix(len | 0);
  mix(Math.floor(len / 2 ** 32) | 0);
  return hex32(fmix(h1 ^ h2)) + hex32(fmix(h2 + Math.imul(h1, 0x27d4eb2f)));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex32(h: number): string {
  return (h >>> 0).toString(16).padStart(8, '0');
}
