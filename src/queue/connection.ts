/**
 * Node only: Redis connections for the queue (ioredis, handed to BullMQ as ready clients). A connection
 * is first proved with a bounded wait, so an unreachable server is a typed QUEUE error within
 * `timeoutMs` instead of a command that waits forever.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { fail } from '../errors.js';
import type { RedisAddress } from './redis-url.js';

export interface ConnectOptions {
  /** how long to wait for the first connection (default 5000 ms) */
  readonly timeoutMs?: number;
  /**
   * BullMQ's blocking connections (workers, queue events) must retry commands without limit; others
   * give up on a command after a few reconnection attempts, so a lost server ends a wait with an error.
   */
  readonly blocking?: boolean;
}

/** Why a connection failed, in words a user can act on. */
export function connectionReason(e: unknown, timeoutMs: number): string {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = err?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT' || code === 'TIMEOUT') return `no answer within ${timeoutMs / 1000} s`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  const msg = err?.message ?? String(e);
  if (/Unknown RESP type|Protocol error/i.test(msg)) return 'the server there does not speak the Redis protocol';
  if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(msg)) return `authentication failed (${msg})`;
  return code ? `${code}: ${msg}` : msg;
}

/** Opens a connection and waits until Redis answers a PING; QUEUE error otherwise. */
export async function connectRedis(address: RedisAddress, o: ConnectOptions = {}): Promise<Redis> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const options: RedisOptions = {
    host: address.host, port: address.port, db: address.db,
    ...(address.username !== undefined ? { username: address.username } : {}),
    ...(address.password !== undefined ? { password: address.password } : {}),
    ...(address.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: o.blocking ? null : 3,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  const client = new Redis(options);
  let lastError: unknown;
  const onError = (e: unknown) => void (lastError = e);
  client.on('error', onError);
  // the first connection gets no retries: its failure is the answer
  const retry = client.options.retryStrategy;
  client.options.retryStrategy = () => null;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => (timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), timeoutMs))),
    ]);
  } catch (e) {
    client.disconnect();
    fail('QUEUE', `cannot reach Redis at ${address.text}: ${connectionReason(lastError ?? e, timeoutMs)}; start redis-server or check --queue.`, lastError ?? e);
  } finally {
    clearTimeout(timer);
  }
  client.options.retryStrategy = retry;
  // later errors (a restart of Redis) are retried by the client; they must not crash the process
  client.off('error', onError);
  client.on('error', () => undefined);
  return client;
}

/** Fails with a QUEUE error when Redis does not answer, before any slower work starts. */
export async function checkRedis(address: RedisAddress, timeoutMs?: number): Promise<void> {
  (await connectRedis(address, timeoutMs ? { timeoutMs } : {})).disconnect();
}
