/**
 * Outbound connections: dial a `ws://host:port` URL and resolve with an open, not yet started
 * Connection (wire its listeners, then call conn.start()). Same frame limit and no compression as the
 * listener; no redirects (a peer must not bounce us to an arbitrary host).
 *
 * Failures are NodeErrors: TIMEOUT when the connection is not open within `timeoutMs`; ABORTED for
 * everything else (refused, reset, the peer answered without upgrading, e.g. a full peer's 503 with
 * its reason, or the caller's AbortSignal fired), with the underlying error as `cause`.
 *
 * Knows ws and bytes only. Must not import protocol, chain or storage.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { WebSocket } from './ws-lib.js';
import { NodeError } from '../../core/errors.js';
import { Connection, ConnectionLimits, MAX_FRAME_BYTES } from './connection.js';
import { normalizeAddress } from './listener.js';

export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;

export interface DialOptions extends ConnectionLimits {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * @throws NodeError INVALID_ARGUMENT (synchronously rejected) for a URL that is not ws:// or wss://;
 *   TIMEOUT or ABORTED as above.
 */
export function dial(url: string, opts: DialOptions = {}): Promise<Connection> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (e) {
    return Promise.reject(new NodeError('INVALID_ARGUMENT', `invalid peer URL ${url}`, { cause: e }));
  }
  if (target.protocol !== 'ws:' && target.protocol !== 'wss:')
    return Promise.reject(new NodeError('INVALID_ARGUMENT', `peer URL must be ws:// or wss://, got ${url}`));
  if (opts.signal?.aborted) return Promise.reject(new NodeError('ABORTED', `dial ${url} aborted`, { cause: opts.signal.reason }));

  const timeoutMs = opts.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  const remoteAddress = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const remotePort = target.port !== '' ? Number(target.port) : target.protocol === 'wss:' ? 443 : 80;

  return new Promise<Connection>((resolve, reject) => {
    const ws = new WebSocket(url, {
      maxPayload: opts.maxFrameBytes ?? MAX_FRAME_BYTES,
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: timeoutMs,
    });
    let settled = false;
    const fail = (err: NodeError) => {
      if (settled) return;
      settled = true;
      cleanup();
      // terminate() while connecting makes ws emit one more 'error'; onError below still listens for it.
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new NodeError('TIMEOUT', `dial ${url} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(new NodeError('ABORTED', `dial ${url} aborted`, { cause: opts.signal?.reason }));
    const onError = (err: Error) => {
      if (settled) return; // the error our own terminate() causes after a failure was already reported
      const msg = /handshake has timed out/i.test(err.message)
        ? new NodeError('TIMEOUT', `dial ${url} timed out after ${timeoutMs} ms`, { cause: err })
        : new NodeError('ABORTED', `dial ${url} failed: ${err.message}`, { cause: err });
      fail(msg);
    };
    const onUnexpected = (_req: unknown, res: IncomingMessage) => {
      const reason = res.headers['x-minichain-reason'];
      res.resume();
      fail(new NodeError('ABORTED', `dial ${url} refused: ${typeof reason === 'string' ? reason : 'no reason'} (HTTP ${res.statusCode})`));
    };
    const onClose = () => fail(new NodeError('ABORTED', `dial ${url} failed: closed before opening`));
    const onOpen = () => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.off('error', onError);
      // The socket's real endpoints (a DNS name resolves to an IP): what the handshake transcript binds.
      const sock = (ws as unknown as { _socket?: Socket })._socket;
      const local = { localAddress: normalizeAddress(sock?.localAddress ?? ''), localPort: sock?.localPort ?? 0 };
      const remote = sock?.remoteAddress ? normalizeAddress(sock.remoteAddress) : remoteAddress;
      resolve(new Connection(ws, { ...opts, direction: 'outbound', remoteAddress: remote, remotePort, ...local }));
    };
    const cleanup = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('unexpected-response', onUnexpected);
      ws.off('close', onClose);
    };
    ws.on('error', onError);
    ws.on('open', onOpen);
    ws.on('unexpected-response', onUnexpected);
    ws.on('close', onClose);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
