import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { DType, makeModel, saveModel } from '../onnx/index.js';
import { hostTensor, type HostTensor, type RuntimeBackend, type RuntimeSession } from './backend.js';
import { SessionCache, cacheKey, modelId } from './cache.js';
import { nodeBackend } from './node-backend.js';

/** A backend whose sessions record releases; runs wait for `gate` when given. */
function fakeBackend() {
  const log: string[] = [];
  let made = 0;
  let gate: Promise<void> | undefined;
  const backend: RuntimeBackend = {
    name: 'fake',
    async createSession(bytes: Uint8Array): Promise<RuntimeSession> {
      const id = `${new TextDecoder().decode(bytes)}#${++made}`;
      log.push(`create ${id}`);
      let released = false;
      return {
        inputNames: ['x'],
        outputNames: ['y'],
        async run(): Promise<Record<string, HostTensor>> {
          if (released) throw new Error(`run on released ${id}`);
          if (gate) await gate;
          if (released) throw new Error(`released during run ${id}`);
          return { y: hostTensor('float32', [1], new Float32Array([1])) };
        },
        async release() {
          if (released) throw new Error(`double release ${id}`);
          released = true;
          log.push(`release ${id}`);
        },
      };
    },
  };
  return { backend, log, setGate: (g: Promise<void> | undefined) => (gate = g) };
}

const bytesOf = (s: string) => async () => new TextEncoder().encode(s);

describe('SessionCache', () => {
  it('compiles once per key and evicts the least recently used beyond capacity', async () => {
    const { backend, log } = fakeBackend();
    const cache = new SessionCache(backend, { capacity: 2 });
    const a = await cache.get('a', bytesOf('A'));
    assert.equal(await cache.get('a', bytesOf('A')), a);
    await cache.get('b', bytesOf('B'));
    await cache.get('a', bytesOf('A')); // a is now the most recent
    await cache.get('c', bytesOf('C')); // evicts b
    assert.deepEqual(cache.keys(), ['a', 'c']);
    assert.deepEqual(log, ['create A#1', 'create B#2', 'release B#2', 'create C#3']);
    await cache.clear();
    assert.equal(cache.size, 0);
    assert.deepEqual(log.slice(4).sort(), ['release A#1', 'release C#3']);
  });

  it('defaults to 4 sessions', async () => {
    const { backend, log } = fakeBackend();
    const cache = new SessionCache(backend);
    for (const k of ['1', '2', '3', '4', '5']) await cache.get(k, bytesOf(k));
    assert.deepEqual(cache.keys(), ['2', '3', '4', '5']);
    assert.ok(log.includes('release 1#1'));
    await cache.clear();
  });

  it('shares one compilation between concurrent gets and does not cache failures', async () => {
    const { backend, log } = fakeBackend();
    const cache = new SessionCache(backend);
    const [s1, s2] = await Promise.all([cache.get('k', bytesOf('K')), cache.get('k', bytesOf('K'))]);
    assert.equal(s1, s2);
    assert.equal(log.filter((l) => l.startsWith('create')).length, 1);
    await assert.rejects(cache.get('bad', async () => { throw new Error('no bytes'); }), /no bytes/);
    assert.equal(cache.has('bad'), false);
    await cache.get('bad', bytesOf('B'));
    assert.equal(cache.has('bad'), true);
    await cache.clear();
  });

  it('defers releasing an evicted session until its run finishes', async () => {
    const { backend, log, setGate } = fakeBackend();
    const cache = new SessionCache(backend, { capacity: 1 });
    const a = await cache.get('a', bytesOf('A'));
    let open!: () => void;
    setGate(new Promise<void>((r) => (open = r)));
    const running = a.run({});
    await cache.get('b', bytesOf('B')); // evicts a while it runs
    assert.ok(!log.includes('release A#1'));
    open();
    await running;
    setGate(undefined);
    await new Promise((r) => setImmediate(r));
    assert.ok(log.includes('release A#1'));
    await assert.rejects(a.run({}), (e: unknown) => e instanceof CnnlensError && e.code === 'RUNTIME' && /evicted/.test(e.message));
    await a.release(); // owned by the cache: a no-op
    await cache.clear();
  });

  it('caches real onnxruntime sessions', async () => {
    const model = saveModel(
      makeModel({
        nodes: [{ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }],
        inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [2] } }],
        outputs: [{ name: 'y', type: { elemType: DType.FLOAT, shape: [2] } }],
      }),
    );
    const cache = new SessionCache(nodeBackend, { capacity: 1, sessionOptions: { threads: 1 } });
    const key = cacheKey(modelId(model), 'forward', [2]);
    const s = await cache.get(key, async () => model);
    const r = await s.run({ x: hostTensor('float32', [2], new Float32Array([-1, 3])) });
    assert.deepEqual([...r.y!.data], [0, 3]);
    await cache.clear();
  });
});

describe('cacheKey', () => {
  it('joins parts unambiguously', () => {
    assert.equal(cacheKey('m', 'plan', [224, 224]), 'm|plan|224x224');
    assert.notEqual(cacheKey('a|b', 'c'), cacheKey('a', 'b|c'));
  });
});

describe('modelId', () => {
  const data = new Uint8Array(1 << 16).map((_, i) => (i * 2654435761) >>> 24);

  it('is stable across runs and platforms (golden values)', () => {
    assert.equal(modelId(new Uint8Array(0)), modelId(new Uint8Array(0)));
    assert.match(modelId(data), /^[0-9a-f]{16}$/);
    // golden values pin the algorithm: a change here changes every cache key
    assert.deepEqual(
      [modelId(new Uint8Array(0)), modelId(new TextEncoder().encode('cnnlens')), modelId(data)],
      GOLDEN,
    );
  });

  it('depends on every byte and on the length', () => {
    const base = modelId(data);
    const seen = new Set([base]);
    for (const i of [0, 1, 2, 3, 4, 1000, 32767, 32768, data.length - 1]) {
      const d = data.slice();
      d[i]! ^= 1;
      const id = modelId(d);
      assert.ok(!seen.has(id), `flipping byte ${i} must change the id`);
      seen.add(id);
    }
    for (let n = 0; n < 9; n++) seen.add(modelId(new Uint8Array(n)));
    assert.equal(seen.size, 10 + 9, 'zero-filled inputs of different lengths differ');
  });

  it('gives the same id for unaligned views as for a copy', () => {
    const big = new Uint8Array(data.length + 3);
    big.set(data, 3);
    assert.equal(modelId(big.subarray(3)), modelId(data));
    assert.equal(modelId(big.subarray(3, 1003)), modelId(data.slice(0, 1000)));
  });
});

const GOLDEN = ['488bb5f95b2ac16c', 'a1e0c91d4e6f079a', '3ca933142d4e5e49'];
