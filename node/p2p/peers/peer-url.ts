/**
 * Peer addresses in their three spellings: a `ws://host:port` URL (seeds, dialling), the address
 * book's "host:port" key, and { host, port }. Pure.
 */
import { NodeError } from '../../core/errors.js';
import { isLoopbackHost, peerKey } from './addr-book.js';

/**
 * "ws://host:port" -> its parts and the address book key.
 * @throws NodeError INVALID_ARGUMENT unless the URL is ws:// with an explicit port.
 */
export function parsePeerUrl(url: string): { host: string; port: number; key: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NodeError('INVALID_ARGUMENT', `invalid peer URL "${url}": expected ws://host:port`);
  }
  if (u.protocol !== 'ws:' || u.port === '') throw new NodeError('INVALID_ARGUMENT', `invalid peer URL "${url}": expected ws://host:port`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = Number(u.port);
  return { host, port, key: peerKey({ host, port }) };
}

/** "host:port" (IPv6 hosts unbracketed, as the address book keeps them) -> { host, port }. */
export function splitPeerKey(key: string): { host: string; port: number } {
  const i = key.lastIndexOf(':');
  return { host: key.slice(0, i), port: Number(key.slice(i + 1)) };
}

export function peerUrl(addr: { host: string; port: number }): string {
  return `ws://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;
}

/** The "host:port" keys under which other nodes may know a node listening on host:port. */
export function selfAddressKeys(host: string, port: number): string[] {
  const keys = [`${host.toLowerCase()}:${port}`];
  if (host === '0.0.0.0' || host === '::' || isLoopbackHost(host)) keys.push(`127.0.0.1:${port}`, `localhost:${port}`);
  return [...new Set(keys)];
}
