/**
 * Who may talk to the node's HTTP endpoints (JSON-RPC, and any other HTTP surface on the RPC port such
 * as /metrics): the checks that keep a web page the user happens to open from driving the node.
 *
 * - Host: a browser tab on evil.example whose name is re-pointed at 127.0.0.1 (DNS rebinding) still sends
 *   `Host: evil.example`; only loopback names, IP literals and the names the server listens on pass.
 * - Origin: every browser POST carries one; non-browser clients (curl, the wallet) send none. A present
 *   Origin must be on the --rpc-allow-origin list.
 * - Authentication: when the server listens beyond loopback, a cookie (like bitcoind's .cookie file in
 *   the datadir) is required as HTTP Basic credentials.
 * No I/O here apart from reading request headers; the cookie file itself is written by cookie.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hostname } from 'node:os';

export interface AccessPolicy {
  /** Lower-case host names (no port) accepted in the Host header, besides loopback names and IP literals. */
  readonly hosts: ReadonlySet<string>;
  /** Exact browser origins allowed (`http://localhost:3000`); `*` allows any. Empty: no browser. */
  readonly origins: ReadonlySet<string>;
  /** `user:password` expected as HTTP Basic credentials; undefined: no authentication. */
  readonly credentials?: string;
}

export type AccessVerdict = { ok: true } | { ok: false; status: 401 | 403; reason: string; message: string };

/** 127.0.0.0/8, ::1 and the names that resolve to them by definition. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^\[[0-9a-f:.]+\]$/i.test(host);
}

/**
 * The policy for a server bound to `bindHost`: its own name is accepted; a wildcard bind (0.0.0.0, ::)
 * also accepts this machine's host name. `credentials` should be set whenever `bindHost` is not loopback.
 */
export function makeAccessPolicy(opts: { bindHost: string; allowOrigins?: readonly string[]; credentials?: string }): AccessPolicy {
  const hosts = new Set<string>();
  const b = opts.bindHost.toLowerCase();
  if (b === '0.0.0.0' || b === '::' || b === '[::]') hosts.add(hostname().toLowerCase());
  else hosts.add(b.includes(':') && !b.startsWith('[') ? `[${b}]` : b);
  return {
    hosts,
    origins: new Set((opts.allowOrigins ?? []).map((o) => o.trim().replace(/\/$/, '')).filter((o) => o.length > 0)),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
  };
}

/** The Host header's name without the port: `[::1]:8001` -> `[::1]`, `Localhost:8001` -> `localhost`. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** Is this browser origin on the allow list? */
export function isOriginAllowed(policy: AccessPolicy, origin: string): boolean {
  return policy.origins.has('*') || policy.origins.has(origin.replace(/\/$/, ''));
}

/**
 * Host, Origin and credentials of one HTTP request against the policy. Reasons are stable:
 * `missing-host`, `forbidden-host`, `forbidden-origin`, `auth-required`, `bad-auth`.
 */
export function checkAccess(headers: IncomingHttpHeaders, policy: AccessPolicy): AccessVerdict {
  const host = headers.host;
  if (!host) return { ok: false, status: 403, reason: 'missing-host', message: 'request has no Host header' };
  const name = hostName(host);
  if (!isLoopbackHost(name) && !isIpLiteral(name) && !policy.hosts.has(name))
    return { ok: false, status: 403, reason: 'forbidden-host', message: `Host "${name}" is not a name this node listens on` };
  const origin = headers.origin;
  if (origin !== undefined && !isOriginAllowed(policy, origin))
    return { ok: false, status: 403, reason: 'forbidden-origin', message: `browser origin "${origin}" is not allowed (start the node with --rpc-allow-origin ${origin})` };
  if (policy.credentials !== undefined) {
    const auth = headers.authorization;
    if (!auth) return { ok: false, status: 401, reason: 'auth-required', message: 'authentication required: send the cookie from <datadir>/.cookie as HTTP Basic credentials' };
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth.trim());
    const given = Buffer.from(m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '', 'utf8');
    const want = Buffer.from(policy.credentials, 'utf8');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, status: 401, reason: 'bad-auth', message: 'wrong RPC credentials' };
  }
  return { ok: true };
}

/** `application/json`, with or without parameters such as `; charset=utf-8`. */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';')[0]!.trim().toLowerCase() === 'application/json';
}
