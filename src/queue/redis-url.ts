/**
 * The `--queue` address: `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS), checked
 * up front so that a typo is a usage error rather than a connection that never comes up.
 */
import { fail } from '../errors.js';

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** the address as given, password masked: for messages */
  readonly text: string;
}

export function parseRedisUrl(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail('USAGE', `--queue must be a Redis URL such as redis://127.0.0.1:6379, got '${url}'.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') fail('USAGE', `--queue must start with redis:// or rediss://, got '${url}'.`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') fail('USAGE', `--queue '${url}' names no host.`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) fail('USAGE', `--queue '${url}': the database after the host must be a number, got '${path}'.`);
  if (u.search !== '' || u.hash !== '') fail('USAGE', `--queue '${url}' has a query or fragment; give redis://HOST:PORT[/DB].`);
  const masked = new URL(u.href);
  if (masked.password !== '') masked.password = '***';
  return {
    host, port, db, tls: u.protocol === 'rediss:',
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    text: masked.href.replace(/\/$/, ''),
  };
}
