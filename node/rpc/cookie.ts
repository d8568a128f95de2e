/**
 * RPC authentication cookie, as bitcoind's: when the JSON-RPC server listens beyond loopback, a random
 * secret is written to `<datadir>/.cookie` (mode 0600) as `__cookie__:<64 hex>` and every request must
 * send it as HTTP Basic credentials. Whoever can read the datadir may use the RPC; nobody else can.
 * The file is removed when the node stops.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AccessPolicy, isLoopbackHost, makeAccessPolicy } from './access.js';

export const COOKIE_FILE = '.cookie';
export const COOKIE_USER = '__cookie__';

/** The access policy for a node's config; writes the cookie file when the RPC host is not loopback. */
export async function rpcAccessFor(config: { datadir: string; rpcHost: string; rpcAllowOrigins?: readonly string[] }): Promise<AccessPolicy> {
  const base = { bindHost: config.rpcHost, ...(config.rpcAllowOrigins ? { allowOrigins: config.rpcAllowOrigins } : {}) };
  if (isLoopbackHost(config.rpcHost)) {
    await removeCookie(config.datadir);
    return makeAccessPolicy(base);
  }
  return makeAccessPolicy({ ...base, credentials: await writeCookie(config.datadir) });
}

/** Writes a fresh cookie atomically; returns `user:password`. */
export async function writeCookie(datadir: string): Promise<string> {
  const credentials = `${COOKIE_USER}:${randomBytes(32).toString('hex')}`;
  const path = join(datadir, COOKIE_FILE);
  await writeFile(path + '.tmp', credentials + '\n', { mode: 0o600 });
  await rename(path + '.tmp', path);
  return credentials;
}

/** `user:password` from a datadir's cookie, or undefined when there is none. */
export async function readCookie(datadir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(datadir, COOKIE_FILE), 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function removeCookie(datadir: string): Promise<void> {
  await rm(join(datadir, COOKIE_FILE), { force: true });
}
