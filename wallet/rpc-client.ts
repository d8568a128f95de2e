/**
 * A JSON-RPC 2.0 client over HTTP POST for talking to a minichain node, on the global fetch with a
 * timeout. It knows the envelope only, not the methods. Imports wallet/errors.ts and nothing of the node.
 */
import { WalletError } from './errors.js';

export const DEFAULT_RPC_URL = 'http://127.0.0.1:8001';

/**
 * `127.0.0.1:8001`, `localhost:8001`, `[::1]:8001` or a URL `http://host:port[/path]` -> a URL string.
 * @throws WalletError INVALID_INPUT saying which forms are accepted
 */
export function normalizeRpcUrl(text: string): string {
  const t = text.trim();
  const form = 'expected host:port (e.g. 127.0.0.1:8001) or a URL (e.g. http://127.0.0.1:8001)';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new WalletError('INVALID_INPUT', `invalid RPC address "${text}": ${form}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WalletError('INVALID_INPUT', `invalid RPC address "${text}": must be http:// or https://; ${form}`);
  if (!u.hostname) throw new WalletError('INVALID_INPUT', `invalid RPC address "${text}": ${form}`);
  return withScheme;
}
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

/** A JSON-RPC error answer: the node understood the call and refused it. */
export class RpcError extends Error {
  /** JSON-RPC error code, e.g. -32000 (rejected), -32001 (not found), -32602 (bad params). */
  readonly code: number;
  readonly data?: unknown;
  /** `data.reason`, the node's stable kebab-case reject reason, when present. */
  readonly reason?: string;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    if (data !== undefined) this.data = data;
    const reason = (data as { reason?: unknown } | null | undefined)?.reason;
    if (typeof reason === 'string') this.reason = reason;
  }
}

/** The node could not be reached at all (refused, DNS, reset, timeout). Names the URL. */
export class NodeUnreachableError extends WalletError {
  readonly url: string;
  constructor(url: string, detail: string, cause?: unknown) {
    super('NODE_UNREACHABLE', `cannot reach node at ${url} (${detail})`, { cause });
    this.name = 'NodeUnreachableError';
    this.url = url;
  }
}

export function isRpcError(e: unknown, reason?: string): e is RpcError {
  return e instanceof RpcError && (reason === undefined || e.reason === reason);
}

export class RpcClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private nextId = 1;

  private readonly authorization: string | undefined;

  /**
   * `auth` is `user:password` (the node's cookie file holds exactly that); credentials in the URL work too.
   * @throws WalletError INVALID_INPUT when `url` is not host:port or an http(s) URL.
   */
  constructor(url: string, opts: { timeoutMs?: number; auth?: string } = {}) {
    const parsed = new URL(normalizeRpcUrl(url));
    const auth = opts.auth ?? (parsed.username ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}` : undefined);
    this.authorization = auth === undefined ? undefined : 'Basic ' + Buffer.from(auth, 'utf8').toString('base64');
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.toString().replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  }

  /**
   * Calls `method` and returns its `result`, unchecked: callers validate the shape they rely on.
   * @throws RpcError for a JSON-RPC error answer
   * @throws NodeUnreachableError when no HTTP answer arrives within the timeout
   * @throws WalletError BAD_RESPONSE when the answer is not a JSON-RPC 2.0 response
   */
  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const id = this.nextId++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.authorization ? { authorization: this.authorization } : {}) },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      throw new NodeUnreachableError(this.url, describeFetchFailure(e, this.timeoutMs), e);
    }
    if (res.status === 401 || res.status === 403) throw accessDenied(this.url, res.status, text, this.authorization !== undefined);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.badResponse(`HTTP ${res.status}, not JSON`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw this.badResponse('not a JSON-RPC object');
    const o = body as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (o.error !== undefined && o.error !== null) {
      const err = o.error as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof err.code === 'number' ? err.code : -32603;
      const message = typeof err.message === 'string' ? err.message : 'unknown error';
      throw new RpcError(code, message, err.data);
    }
    if (o.jsonrpc !== '2.0' || o.id !== id || !('result' in o)) throw this.badResponse(`HTTP ${res.status}, no result for call ${id}`);
    return o.result as T;
  }

  /** The error for an answer that breaks the contract (wrong shape, wrong types). */
  badResponse(detail: string): WalletError {
    return new WalletError('BAD_RESPONSE', `unexpected answer from node at ${this.url} (${detail})`);
  }
}

/** The node answered 401/403: say why, and what to do about it. */
function accessDenied(url: string, status: number, text: string, sentAuth: boolean): WalletError {
  let reason = '';
  let message = '';
  try {
    const err = (JSON.parse(text) as { error?: { message?: unknown; data?: { reason?: unknown } } }).error;
    reason = typeof err?.data?.reason === 'string' ? err.data.reason : '';
    message = typeof err?.message === 'string' ? err.message : '';
  } catch {
    // not JSON: the status says enough
  }
  const hint =
    status === 401
      ? sentAuth
        ? 'the credentials were refused; the cookie changes each time the node starts: read <datadir>/.cookie again'
        : 'pass --rpc-cookie <datadir>/.cookie (or MINICHAIN_RPC_COOKIE)'
      : 'use the address the node listens on, e.g. --rpc 127.0.0.1:<rpc-port>';
  return new WalletError('ACCESS_DENIED', `node at ${url} refused access (${reason || `HTTP ${status}`}${message ? `: ${message}` : ''}); ${hint}`, reason ? { reason } : undefined);
}

/** A short cause for the user: the socket error code (ECONNREFUSED, ENOTFOUND, …) or the timeout. */
function describeFetchFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  // undici wraps the socket error: TypeError('fetch failed', { cause }); "localhost" may give an AggregateError.
  const cause = (e as { cause?: unknown } | null)?.cause as { code?: unknown; errors?: { code?: unknown }[]; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  const inner = cause?.errors?.find((x) => typeof x?.code === 'string')?.code;
  if (typeof inner === 'string') return inner;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  return e instanceof Error ? e.message : String(e);
}
