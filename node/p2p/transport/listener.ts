/**
 * Accepts inbound peers: an HTTP server whose only job is the WebSocket upgrade. Caps are checked on
 * the upgrade request, before a WebSocket or a Connection exists, and a refused peer gets a plain
 * `HTTP/1.1 503` with the reason in the `X-Minichain-Reason` header (dial() reports it):
 *   - maxPendingHandshakes: inbound connections not yet markReady()'d. Handshakes cost us a signature
 *     check each, so a flood of never-finishing handshakes must not grow without bound;
 *   - maxPendingPerIp: of those, from one IP. When the pending slots are full, the oldest pending socket of
 *     the IP holding the most of them is closed for a newcomer from a less represented IP, so 16 half-open
 *     sockets from one address cannot lock everyone else out (they would otherwise hold the slots for the
 *     whole handshake timeout, again and again);
 *   - maxConnections: all inbound connections.
 * Knows ws and bytes only. Must not import protocol, chain or storage.
 */
import { EventEmitter } from 'node:events';
import { createServer, IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer } from './ws-lib.js';
import { NodeError } from '../../core/errors.js';
import { CloseCode, Connection, ConnectionLimits, MAX_FRAME_BYTES, TransportReason } from './connection.js';

export const DEFAULT_MAX_PENDING_HANDSHAKES = 16;
/** Backstop on all inbound sockets; P2PNode passes maxInbound + maxPendingHandshakes. */
export const DEFAULT_MAX_INBOUND = 64;
export const DEFAULT_MAX_PENDING_PER_IP = 8;
/** Time allowed for the HTTP upgrade request itself (slowloris before the WebSocket exists). */
const UPGRADE_HEADERS_TIMEOUT_MS = 10_000;
const REFUSAL_LINGER_MS = 1_000;

export interface ListenOptions extends ConnectionLimits {
  host: string;
  /** 0 picks a free port; start() returns the real one. */
  port: number;
  maxPendingHandshakes?: number;
  maxPendingPerIp?: number;
  maxConnections?: number;
}

type ListenerEvents = {
  /** A new inbound connection, not yet started: wire its listeners, then call conn.start(). */
  connection: [conn: Connection];
  /** A server error after start (e.g. EMFILE). Must be listened to, as for any EventEmitter. */
  error: [err: Error];
};

export class Listener extends EventEmitter<ListenerEvents> {
  private server?: Server;
  private wss?: WebSocketServer;
  private readonly conns = new Set<Connection>();
  private readonly sockets = new Set<Duplex>();
  private opts?: Required<Pick<ListenOptions, 'maxPendingHandshakes' | 'maxConnections' | 'maxPendingPerIp'>> & ListenOptions;
  private stopping?: Promise<void>;
  /** Upgrade requests refused because a cap was reached. */
  refused = 0;

  /** Inbound connections currently open. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Inbound connections not yet marked ready. */
  get pendingCount(): number {
    let n = 0;
    for (const c of this.conns) if (!c.isReady) n++;
    return n;
  }

  /**
   * Binds and starts accepting.
   * @throws NodeError CONFIG_ERROR: `P2P port 7001 is already in use on 127.0.0.1`, and likewise for a
   *   privileged port, a host that is not local, or any other bind failure. INVALID_ARGUMENT if started twice.
   */
  async start(opts: ListenOptions): Promise<{ port: number }> {
    if (this.server) throw new NodeError('INVALID_ARGUMENT', 'listener already started');
    this.opts = { maxPendingHandshakes: DEFAULT_MAX_PENDING_HANDSHAKES, maxConnections: DEFAULT_MAX_INBOUND, maxPendingPerIp: DEFAULT_MAX_PENDING_PER_IP, ...opts };
    const server = createServer({ maxHeaderSize: 8192, headersTimeout: UPGRADE_HEADERS_TIMEOUT_MS, requestTimeout: UPGRADE_HEADERS_TIMEOUT_MS });
    this.server = server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxFrameBytes ?? MAX_FRAME_BYTES,
      perMessageDeflate: false, // no compression: no zip bombs, no inflate CPU on untrusted input
      clientTracking: false,
    });
    // Backstop for sockets still in the HTTP stage (bounded in time by the headers timeout): beyond this
    // the kernel-accepted socket is dropped without even a 503.
    server.maxConnections = this.opts.maxConnections + this.opts.maxPendingHandshakes + 16;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('request', (_req, res) => {
      res.writeHead(426, { Connection: 'close', 'Content-Type': 'text/plain' }).end('minichain p2p: WebSocket only\n');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.server = undefined;
      this.wss.close();
      throw bindError(e as NodeJS.ErrnoException, opts.host, opts.port);
    }
    server.on('error', (err) => this.emit('error', err));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new NodeError('INTERNAL', `unexpected server address ${String(addr)}`);
    return { port: addr.port };
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const opts = this.opts!;
    if (this.stopping) return void socket.destroy();
    const remoteAddress = normalizeAddress(req.socket.remoteAddress ?? '');
    const pending = [...this.conns].filter((c) => !c.isReady);
    const fromIp = pending.filter((c) => c.remoteAddress === remoteAddress).length;
    if (fromIp >= opts.maxPendingPerIp) return this.refuse(socket, 'too-many-pending-from-ip');
    if (pending.length >= opts.maxPendingHandshakes && !this.evictPending(pending, remoteAddress, fromIp))
      return this.refuse(socket, 'too-many-pending-handshakes');
    if (this.conns.size >= opts.maxConnections) return this.refuse(socket, 'too-many-connections');
    const remotePort = req.socket.remotePort ?? 0;
    const localAddress = normalizeAddress(req.socket.localAddress ?? '');
    const localPort = req.socket.localPort ?? 0;
    // Without verifyClient, ws completes the upgrade synchronously, so the counts above cannot race.
    this.wss!.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(ws, { ...opts, direction: 'inbound', remoteAddress, remotePort, localAddress, localPort });
      this.conns.add(conn);
      void conn.closed.then(() => this.conns.delete(conn));
      this.emit('connection', conn);
    });
  }

  /** Closes the oldest pending socket of the IP with the most of them, if it holds more than the newcomer's IP + 1. */
  private evictPending(pending: Connection[], newcomerIp: string, newcomerCount: number): boolean {
    const byIp = new Map<string, Connection[]>();
    for (const c of pending) byIp.set(c.remoteAddress, [...(byIp.get(c.remoteAddress) ?? []), c]);
    let top: Connection[] | undefined;
    for (const [ip, list] of byIp) if (ip !== newcomerIp && (!top || list.length > top.length)) top = list;
    if (!top || top.length <= newcomerCount + 1) return false;
    const victim = top.reduce((a, b) => (b.id < a.id ? b : a)); // ids grow: the smallest is the oldest
    this.conns.delete(victim); // its slot is free now, whatever its close handshake does
    victim.close('evicted-pending', CloseCode.tryAgainLater);
    return true;
  }

  private refuse(socket: Duplex, reason: string): void {
    this.refused++;
    const body = `${reason}\n`;
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n' +
        `X-Minichain-Reason: ${reason}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  }

  /** Stops accepting, closes every connection with 'shutdown' (1001) and waits until all are gone. */
  stop(): Promise<void> {
    if (!this.server) return Promise.resolve();
    this.stopping ??= this.shutdown(this.server);
    return this.stopping;
  }

  private async shutdown(server: Server): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const conns = [...this.conns];
    for (const c of conns) c.close(TransportReason.shutdown, CloseCode.goingAway);
    await Promise.all(conns.map((c) => c.closed));
    for (const s of this.sockets) s.destroy();
    this.wss?.close();
    await serverClosed;
  }
}

function bindError(e: NodeJS.ErrnoException, host: string, port: number): NodeError {
  const why =
    e.code === 'EADDRINUSE'
      ? `P2P port ${port} is already in use on ${host}`
      : e.code === 'EACCES'
        ? `P2P port ${port} on ${host} needs privileges (ports below 1024)`
        : e.code === 'EADDRNOTAVAIL'
          ? `P2P host ${host} is not an address of this machine`
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? `P2P host ${host} cannot be resolved`
            : `cannot listen for P2P on ${host}:${port}: ${e.message}`;
  return new NodeError('CONFIG_ERROR', why, { cause: e });
}

/** '::ffff:127.0.0.1' (an IPv4 peer on a dual-stack socket) -> '127.0.0.1', so one peer has one address. */
export function normalizeAddress(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
