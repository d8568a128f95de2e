/**
 * JSON-RPC 2.0 over HTTP POST: the envelope only (parse, validate, dispatch, errors, limits).
 * Binds to loopback by default; bodies are capped; batches are bounded in count and in time. Every
 * request first passes checkAccess (Host, Origin, cookie; see access.ts) and must be application/json,
 * so a web page cannot post to the node. Methods live in methods.ts.
 */
import http from 'node:http';
import { NodeError } from '../core/errors.js';
import { Log, silentLog } from '../log.js';
import { AccessPolicy, checkAccess, isJsonContentType, isOriginAllowed, makeAccessPolicy } from './access.js';
import { RPC_INTERNAL_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR, RpcError } from './errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_BATCH = 100;
/**
 * A batch stops starting new calls once it has run this long; the calls left over get error
 * RPC_LIMIT_EXCEEDED (reason `batch-time-limit`) and can be resent. The event loop runs at least every
 * BATCH_SLICE_MS, so P2P and other requests are served while a batch works.
 */
export const MAX_BATCH_MS = 250;
/** Calls of one batch in flight at once (the rest wait their turn, in order). */
export const BATCH_CONCURRENCY = 16;
/**
 * A batch yields to the event loop before its first call and then whenever it has run this long since it
 * last did (rather than before every call: a turn of the loop per call was a measurable part of a
 * `sendTransaction` batch's cost). One call's synchronous part may run past it.
 */
export const BATCH_SLICE_MS = 1;
export const RPC_LIMIT_EXCEEDED = -32005;

export { checkAccess, makeAccessPolicy, isJsonContentType };
export type { AccessPolicy };

export type RpcHandler = ((params: unknown[]) => Promise<unknown> | unknown) & {
  /**
   * Set by queuedMethod: the call's asynchronous part only waits in a queue bounded elsewhere (the
   * mempool's admission queue, the signature workers), so in a batch it does not hold one of the
   * BATCH_CONCURRENCY slots: every such call starts at once, in order.
   */
  readonly queued?: true;
};

/** Marks a handler as `queued` (see RpcHandler). */
export function queuedMethod(h: (params: unknown[]) => Promise<unknown> | unknown): RpcHandler {
  return Object.assign(h, { queued: true as const });
}

/** GET /metrics: the Prometheus text exposition and its content type. */
export interface MetricsEndpoint {
  contentType: string;
  text(): Promise<string>;
}

interface Reply {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export class RpcServer {
  private server: http.Server | undefined;
  port = 0;

  /**
   * Who may call (Host, Origin, cookie): loopback names only, no browser origins, no authentication unless
   * the caller says otherwise. Public so that other HTTP endpoints on this port apply the same rules:
   * `checkAccess(req.headers, server.access)`.
   */
  readonly access: AccessPolicy;

  constructor(
    private readonly methods: ReadonlyMap<string, RpcHandler>,
    private readonly log: Log = silentLog,
    access?: AccessPolicy,
    private readonly metrics?: MetricsEndpoint,
  ) {
    this.access = access ?? makeAccessPolicy({ bindHost: '127.0.0.1' });
  }

  /** @throws NodeError CONFIG_ERROR when the port is taken. */
  async start(host: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EADDRINUSE'
            ? new NodeError('CONFIG_ERROR', `RPC port ${port} is already in use on ${host}`, { cause: e })
            : new NodeError('CONFIG_ERROR', `cannot listen for RPC on ${host}:${port}: ${e.message}`, { cause: e }),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const access = checkAccess(req.headers, this.access);
    if (!access.ok) {
      const headers: http.OutgoingHttpHeaders = access.status === 401 ? { 'www-authenticate': 'Basic realm="minichain"' } : {};
      send(res, access.status, errorReply(null, RPC_INVALID_REQUEST, access.message, { reason: access.reason }), headers);
      req.resume();
      return;
    }
    const origin = req.headers.origin;
    const cors: http.OutgoingHttpHeaders = origin !== undefined && isOriginAllowed(this.access, origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (req.method === 'OPTIONS' && origin !== undefined) {
      // CORS preflight of an allowed origin (checkAccess already refused the others).
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, authorization', 'access-control-max-age': '600' }).end();
      return;
    }
    // Prometheus scrape: after the same Host/Origin/cookie checks as JSON-RPC.
    if (this.metrics && (req.method === 'GET' || req.method === 'HEAD') && req.url?.split('?')[0] === '/metrics') {
      await this.serveMetrics(this.metrics, req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('minichain JSON-RPC: use POST\n');
      return;
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      send(res, 415, errorReply(null, RPC_INVALID_REQUEST, `Content-Type must be application/json, got ${req.headers['content-type'] ?? 'none'}`, { reason: 'bad-content-type' }), cors);
      req.resume();
      return;
    }
    let body: string;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch {
      send(res, 413, errorReply(null, RPC_INVALID_REQUEST, `request body over ${MAX_BODY_BYTES} bytes`), cors);
      req.destroy();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      send(res, 200, errorReply(null, RPC_PARSE_ERROR, 'parse error: body is not valid JSON'), cors);
      return;
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0 || parsed.length > MAX_BATCH) {
        send(res, 200, errorReply(null, RPC_INVALID_REQUEST, `batch must hold 1..${MAX_BATCH} requests`), cors);
        return;
      }
      // Calls start in order, up to BATCH_CONCURRENCY at a time, yielding to the event loop every
      // BATCH_SLICE_MS of work (a batch never holds it much longer): a batch of sendTransaction verifies its
      // signatures together, and the mempool still admits in arrival order. None starts after MAX_BATCH_MS.
      const results: (Reply | undefined)[] = new Array(parsed.length);
      const started = Date.now();
      let next = 0;
      let ranSince = -Infinity;
      // Queued calls (sendTransaction) started and not yet answered: they hold no lane.
      const queued: Promise<void>[] = [];
      const lane = async (): Promise<void> => {
        while (next < parsed.length) {
          // Yields to the event loop once the batch has run BATCH_SLICE_MS since it last did; the next
          // call is picked after that, so calls start in order whichever lane resumes first.
          if (performance.now() - ranSince >= BATCH_SLICE_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            ranSince = performance.now();
            if (next >= parsed.length) break;
          }
          const i = next++;
          if (Date.now() - started > MAX_BATCH_MS) results[i] = overBudget(parsed[i]);
          else if (this.isQueued(parsed[i])) queued.push(this.dispatch(parsed[i]).then((r) => void (results[i] = r)));
          else results[i] = await this.dispatch(parsed[i]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, parsed.length) }, lane));
      await Promise.all(queued);
      const replies = results.filter((x): x is Reply => x !== undefined);
      if (replies.length === 0) res.writeHead(204, cors).end();
      else send(res, 200, replies, cors);
      return;
    }
    const reply = await this.dispatch(parsed);
    if (reply) send(res, 200, reply, cors);
    else res.writeHead(204, cors).end();
  }

  private async serveMetrics(m: MetricsEndpoint, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const text = await m.text();
      res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(text) }).end(req.method === 'HEAD' ? undefined : text);
    } catch (e) {
      this.log.error({ err: e }, 'metrics collection failed');
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
    }
  }

  private isQueued(r: unknown): boolean {
    const method = typeof r === 'object' && r !== null ? (r as { method?: unknown }).method : undefined;
    return typeof method === 'string' && this.methods.get(method)?.queued === true;
  }

  /** One request; returns undefined for a notification (no id). */
  private async dispatch(r: unknown): Promise<Reply | undefined> {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return errorReply(null, RPC_INVALID_REQUEST, 'invalid request');
    const req = r as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const id = typeof req.id === 'string' || typeof req.id === 'number' || req.id === null ? req.id : null;
    const isNotification = !('id' in req);
    if (req.jsonrpc !== '2.0' || typeof req.method !== 'string') return errorReply(id, RPC_INVALID_REQUEST, 'invalid request: need jsonrpc "2.0" and a method');
    if (req.params !== undefined && !Array.isArray(req.params)) return errorReply(id, RPC_INVALID_REQUEST, 'params must be an array');
    const handler = this.methods.get(req.method);
    if (!handler) return errorReply(id, RPC_METHOD_NOT_FOUND, `method not found: ${req.method}`);
    try {
      const result = await handler((req.params as unknown[] | undefined) ?? []);
      return isNotification ? undefined : { jsonrpc: '2.0', id, result };
    } catch (e) {
      if (e instanceof RpcError) return isNotification ? undefined : errorReply(id, e.code, e.message, e.data);
      this.log.error({ err: e, method: req.method }, 'RPC method failed');
      return isNotification ? undefined : errorReply(id, RPC_INTERNAL_ERROR, `internal error: ${(e as Error).message}`);
    }
  }
}

function errorReply(id: Reply['id'], code: number, message: string, data?: unknown): Reply {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** The reply for a batch call not started because the batch ran out of time (undefined for a notification). */
function overBudget(r: unknown): Reply | undefined {
  const o = (typeof r === 'object' && r !== null ? r : {}) as { id?: unknown };
  if (!('id' in o)) return undefined;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? o.id : null;
  return errorReply(id, RPC_LIMIT_EXCEEDED, `batch ran over ${MAX_BATCH_MS} ms: call not run, resend it in a smaller batch`, { reason: 'batch-time-limit' });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
