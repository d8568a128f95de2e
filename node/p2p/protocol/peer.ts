/**
 * One peer: the per-connection state machine over a transport Connection (docs/protocol.md,
 * "Handshake" and "Connection lifecycle"). It runs the authenticated handshake, then hands every
 * decoded message to the dispatcher: control messages (ping, pong, reject, disconnect) at once, the
 * rest through a per-peer queue (receive-queue.ts) so that one peer's messages are processed one at a
 * time and in order (as Core's ProcessMessages does), which keeps block download and getdata serving ordered.
 *
 * It also holds the small per-peer state the protocol needs: the misbehaviour score, the known
 * inventory (what the peer is known to have, so we never announce it back), the best chain it claims,
 * ping latency (ping-tracker.ts) and the per-peer rate limits. It never bans anything itself: at
 * BAN_THRESHOLD it emits 'ban' and disconnects; the peer manager records the ban. The hello it sends is
 * built from the LocalNode (local-node.ts).
 *
 * Imports transport, messages, handshake and core only; never the peer manager, chain or storage.
 */
import { EventEmitter } from 'node:events';
import { toHex } from '../../core/bytes.js';
import { isNodeError } from '../../core/errors.js';
import { Log } from '../../log.js';
import { CloseCode, Connection, truncateUtf8 } from '../transport/connection.js';
import { RateLimiter } from '../transport/rate-limit.js';
import { PEER_RATE_LIMITS, RateFamily, chargeBudget } from './budget.js';
import { BoundedSet } from './bounded-set.js';
import { parseIp } from '../peers/net-address.js';
import { PROTOCOL_VERSION, checkHello, isObservedAcceptable, signHelloProof, verifyHelloProof } from './handshake.js';
import { BlockHeader, HEADER_SIZE, decodeHeader } from '../../core/block.js';
import { HelloMessage, MAX_REASON_BYTES, MESSAGE_TYPES, Message, decodeMessage, encodeMessage, peekMessageType, printable } from './messages.js';
import { BAN_THRESHOLD, PENALTIES, transportPenalty } from './misbehavior.js';
import { LocalNode, makeHello } from './local-node.js';
import { PingTracker } from './ping-tracker.js';
import { DEFAULT_MAX_QUEUED_BYTES, ReceiveQueue } from './receive-queue.js';

export { DEFAULT_MAX_QUEUED_BYTES, QUEUED_ITEM_OVERHEAD } from './receive-queue.js';
export type { LocalNode } from './local-node.js';

/**
 * Inventory hashes remembered per peer (tx ids and block hashes share the set: they cannot collide).
 * Forgetting one only means it may be announced to that peer again, which it ignores.
 */
export const MAX_KNOWN_INVENTORY = 10_000;

export type PeerState = 'handshaking' | 'established' | 'closed';

export interface MessageSink {
  /** Control messages, handled synchronously as they arrive. */
  immediate(peer: Peer, msg: Message): void;
  /** Everything else, one at a time per peer. A throw drops the peer (logged), never the node. */
  queued(peer: Peer, msg: Message): Promise<void>;
  /** A block's header, before its body is decoded: false = refused (handled), skip the body. */
  screenBlockHeader?(peer: Peer, header: BlockHeader): boolean;
}

export interface PeerOptions {
  local: LocalNode;
  clock: () => number;
  randomBytes: (n: number) => Uint8Array;
  log: Log;
  sink: MessageSink;
  /** Called with a peer's acceptable hello; a returned reason refuses the connection (ban, duplicate). */
  admit(peer: Peer, hello: HelloMessage): string | undefined;
  maxQueuedBytes?: number;
  /** For outbound peers: the "host:port" key of the address we dialled. */
  dialKey?: string;
}

export interface PeerCloseInfo {
  reason: string;
  code: number;
  byUs: boolean;
}

type PeerEvents = {
  established: [];
  /** The score reached BAN_THRESHOLD; the peer is being disconnected. */
  ban: [reason: string];
  /** The peer's hello carried our own nodeId: the address we dialled is ours. */
  'self-connection': [];
  close: [info: PeerCloseInfo];
};

const IMMEDIATE = new Set<Message['type']>(['ping', 'pong', 'reject', 'disconnect']);

export class Peer extends EventEmitter<PeerEvents> {
  readonly direction: 'inbound' | 'outbound';
  readonly host: string;
  readonly remotePort: number;
  readonly dialKey: string | undefined;
  readonly connectedAt: number;
  readonly known = new BoundedSet(MAX_KNOWN_INVENTORY);
  readonly limits: RateLimiter<RateFamily>;
  state: PeerState = 'handshaking';
  hello: HelloMessage | undefined;
  /** The hello we sent (half of the handshake transcript). */
  ownHello: HelloMessage | undefined;
  nodeIdHex: string | undefined;
  /** "host:port" the peer accepts connections on (dialled, or advertised in hello.listenPort). */
  listenKey: string | undefined;
  score = 0;
  bestHeight = 0;
  bestWork = 0n;
  latencyMs: number | null = null;
  /** When this peer last gave us a new valid block / transaction (0: never); inbound eviction protects these. */
  lastBlockAt = 0;
  lastTxAt = 0;
  /** When we last answered this peer's getaddr. */
  lastGetaddrAnswer = -Infinity;
  /** We sent getaddr and the answer (one addr) is exempt from the addr budget. */
  addrRequested = false;
  /** Why we closed (or the peer said it was closing), for the close event. */
  private closeReason: string | undefined;
  private peerReason: string | undefined;
  private banned = false;
  private readonly challenge: Uint8Array;
  private proofReceived = false;
  private readonly queue: ReceiveQueue<Message | Uint8Array>;
  private readonly pings: PingTracker;
  private log: Log;

  constructor(
    readonly conn: Connection,
    private readonly o: PeerOptions,
  ) {
    super();
    this.direction = conn.direction;
    this.host = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.dialKey = o.dialKey;
    this.listenKey = o.dialKey;
    this.connectedAt = o.clock();
    this.challenge = o.randomBytes(32);
    this.limits = new RateLimiter<RateFamily>(PEER_RATE_LIMITS, o.clock);
    this.log = o.log.child({ peer: this.label });
    this.pings = new PingTracker(o.clock, o.randomBytes);
    this.queue = new ReceiveQueue<Message | Uint8Array>({
      maxBytes: o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      isOpen: () => this.conn.isOpen,
      process: (item) => {
        const msg = item instanceof Uint8Array ? this.decodeQueued(item) : item;
        return msg ? this.o.sink.queued(this, msg) : undefined;
      },
      onError: (e, item) => this.onHandlerError(e, item instanceof Uint8Array ? undefined : item),
    });
  }

  /** "nodeId-prefix@host:port" for logs. */
  get label(): string {
    return `${this.nodeIdHex?.slice(0, 16) ?? '?'}@${this.host}:${this.remotePort}`;
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  /** Wires the connection, starts it and sends our hello. */
  start(): void {
    this.conn.on('frame', (f) => this.onFrame(f));
    this.conn.on('close', (info) => this.onClose(info));
    this.conn.start();
    this.ownHello = makeHello(this.o.local, this.challenge, this.o.clock, { address: this.conn.remoteAddress, port: this.conn.remotePort });
    this.send(this.ownHello);
  }

  /** Encodes and queues one message; false when the connection is closing or the peer is too slow. */
  send(msg: Message): boolean {
    return this.conn.send(encodeMessage(msg));
  }

  /** Queues an already encoded frame (e.g. a stored block behind its type byte). */
  sendFrame(frame: Uint8Array): boolean {
    return this.conn.send(frame);
  }

  /** Sends `disconnect(reason)` then closes with `code`. Idempotent. */
  disconnect(reason: string, code: number = CloseCode.normal): void {
    if (!this.conn.isOpen) return;
    this.closeReason ??= reason;
    this.send({ type: 'disconnect', reason: truncateUtf8(reason, MAX_REASON_BYTES) });
    this.conn.close(reason, code);
  }

  /**
   * Adds `penalty` to the score. Before the handshake nothing can be banned (the nodeId is unproven),
   * so the connection is simply closed. At BAN_THRESHOLD: 'ban', then disconnect.
   */
  misbehave(reason: string, penalty: number, detail?: string): void {
    if (penalty <= 0) return;
    if (this.state !== 'established') {
      this.log.info({ reason, detail }, 'protocol violation before the handshake');
      this.disconnect(reason, CloseCode.policyViolation);
      return;
    }
    this.score += penalty;
    this.log.warn({ reason, detail, penalty, score: this.score }, 'peer misbehaving');
    if (this.score >= BAN_THRESHOLD && !this.banned) {
      this.banned = true;
      this.emit('ban', reason);
      this.disconnect(reason, CloseCode.policyViolation);
    }
  }

  /** The peer gave us a new valid block or transaction (inbound eviction protects such peers). */
  noteUseful(kind: 'block' | 'tx'): void {
    if (kind === 'block') this.lastBlockAt = this.o.clock();
    else this.lastTxAt = this.o.clock();
  }

  /** Raises the best chain the peer is known to have (from its hello, or blocks it sent or announced). */
  noteBest(height: number, work: bigint): void {
    if (work > this.bestWork) {
      this.bestWork = work;
      this.bestHeight = height;
    }
  }

  /**
   * One refresh tick of the liveness check: sends a ping when none is outstanding, else counts a
   * missed tick. Returns false once `maxMissed` ticks passed without the pong.
   */
  pingTick(maxMissed: number): boolean {
    return this.pings.tick(maxMissed, (nonce) => this.send({ type: 'ping', nonce }));
  }

  /** A pong: the answer to our outstanding ping sets the latency; any other nonce is ignored. */
  onPong(nonce: bigint): void {
    const latencyMs = this.pings.pong(nonce);
    if (latencyMs !== undefined) this.latencyMs = latencyMs;
  }

  /** Resolves when every queued message has been handled (or skipped because the peer closed). */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  /** The peer said why it is leaving (untrusted text, sanitized). */
  notePeerReason(reason: string): void {
    this.peerReason = printable(reason);
  }

  // ---- receiving ----

  private onFrame(frame: Uint8Array): void {
    // Nothing thrown while handling a frame may reach ws's event handler (it would stop the process).
    try {
      this.handleFrame(frame);
    } catch (e) {
      this.onHandlerError(e);
    }
  }

  private handleFrame(frame: Uint8Array): void {
    if (!this.conn.isOpen) return;
    const peeked = peekMessageType(frame);
    if (this.state === 'established' && (peeked === 'tx' || peeked === 'block')) {
      // Bodies have no budget to charge on arrival: they wait undecoded (see DEFAULT_MAX_QUEUED_BYTES), as
      // a copy, since the transport's frame may be a view into a much larger socket read buffer.
      this.enqueue(frame.byteLength === frame.buffer.byteLength ? frame : frame.slice(), frame.length);
      return;
    }
    let msg: Message;
    try {
      msg = decodeMessage(frame);
    } catch (e) {
      // Whatever the decoder threw, the frame is unusable and the peer sent it.
      this.misbehave('malformed-message', PENALTIES['malformed-message'], isNodeError(e) ? e.message : String(e));
      return;
    }
    if (this.state === 'handshaking') return this.onHandshakeMessage(msg);
    if (msg.type === 'hello' || msg.type === 'helloProof') {
      this.misbehave('unexpected-handshake-message', PENALTIES['unexpected-handshake-message'], msg.type);
      return;
    }
    // Budgets are charged as messages are read, so a flood is cut off at once, not after processing.
    if (!chargeBudget(this, msg)) return;
    if (IMMEDIATE.has(msg.type)) this.o.sink.immediate(this, msg);
    else this.enqueue(msg, frame.length);
  }

  private enqueue(item: Message | Uint8Array, size: number): void {
    if (!this.queue.push(item, size)) {
      // We are slower than the peer is sending: not its fault (no penalty), but memory must stay bounded.
      this.log.warn({ queuedBytes: this.queue.bytes }, 'receive queue full');
      this.disconnect('receive-queue-full', CloseCode.tryAgainLater);
    }
  }

  /** A body frame decoded at its turn; a malformed one costs what it would have cost on arrival. */
  private decodeQueued(frame: Uint8Array): Message | undefined {
    try {
      // A block is judged by its header first: junk is refused without decoding thousands of txs.
      if (frame[0] === MESSAGE_TYPES.block && this.o.sink.screenBlockHeader && frame.length >= 1 + HEADER_SIZE) {
        if (!this.o.sink.screenBlockHeader(this, decodeHeader(frame.subarray(1, 1 + HEADER_SIZE)))) return undefined;
      }
      return decodeMessage(frame);
    } catch (e) {
      this.misbehave('malformed-message', PENALTIES['malformed-message'], isNodeError(e) ? e.message : String(e));
      return undefined;
    }
  }

  private onHandlerError(e: unknown, msg?: Message): void {
    // Never swallowed, never fatal: the error is logged with the peer, and the peer is dropped.
    this.log.error({ err: e, type: msg?.type }, 'error handling peer message; dropping the peer');
    this.disconnect('internal-error', CloseCode.normal);
  }

  private onHandshakeMessage(msg: Message): void {
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg);
      case 'helloProof':
        return this.onProof(msg.signature);
      case 'disconnect':
        this.notePeerReason(msg.reason);
        this.log.info({ reason: this.peerReason }, 'peer disconnected during the handshake');
        this.conn.close('peer-disconnected', CloseCode.normal);
        return;
      default:
        this.misbehave('handshake-not-complete', 100, msg.type);
    }
  }

  private onHello(hello: HelloMessage): void {
    if (this.hello) return this.misbehave('duplicate-hello', 100);
    const v = checkHello(hello, { ...this.o.local, protocolVersion: PROTOCOL_VERSION });
    if (!v.ok) {
      this.log.info({ reason: v.reason, detail: v.detail }, 'hello refused');
      if (v.reason === 'self-connection') this.emit('self-connection');
      this.disconnect(v.reason, CloseCode.policyViolation);
      return;
    }
    const localIp = parseIp(this.conn.localAddress);
    if (localIp && !isObservedAcceptable(hello, { ip: localIp, port: this.conn.localPort }, this.o.local.externalIps?.() ?? [])) {
      // Not where this socket is: a hello relayed from another connection (or a broken peer).
      this.log.info({ reason: 'bad-observed-address' }, 'hello refused');
      this.disconnect('bad-observed-address', CloseCode.policyViolation);
      return;
    }
    this.hello = hello;
    this.nodeIdHex = toHex(hello.nodeId);
    this.log = this.o.log.child({ peer: this.label });
    this.noteBest(hello.bestHeight, hello.bestWork);
    const veto = this.o.admit(this, hello);
    if (veto !== undefined) {
      this.log.info({ reason: veto }, 'connection refused');
      this.disconnect(veto, CloseCode.normal);
      return;
    }
    this.send({ type: 'helloProof', signature: signHelloProof(this.ownHello!, hello, this.direction === 'outbound', this.o.local) });
  }

  private onProof(signature: Uint8Array): void {
    if (!this.hello) return this.misbehave('proof-before-hello', 100);
    if (this.proofReceived) return this.misbehave('duplicate-hello-proof', 100);
    this.proofReceived = true;
    if (!verifyHelloProof(signature, this.ownHello!, this.hello, this.direction === 'outbound', this.o.local.genesisHash)) {
      this.log.info({}, 'invalid handshake proof');
      this.disconnect('bad-handshake-proof', CloseCode.policyViolation);
      return;
    }
    this.state = 'established';
    this.conn.markReady();
    this.log.debug({ direction: this.direction, userAgent: printable(this.hello.userAgent), height: this.hello.bestHeight }, 'handshake complete');
    this.emit('established');
  }

  private onClose(info: { code: number; reason: string; byUs: boolean }): void {
    const wasEstablished = this.state === 'established';
    this.state = 'closed';
    this.pings.clear();
    // A transport-level violation (oversized or text frame) after the handshake is the peer's fault.
    const penalty = info.byUs ? transportPenalty(info.reason) : undefined;
    if (penalty && wasEstablished && !this.banned) {
      this.score += PENALTIES[penalty];
      this.log.warn({ reason: penalty, score: this.score }, 'peer misbehaving');
      if (this.score >= BAN_THRESHOLD) {
        this.banned = true;
        this.emit('ban', penalty);
      }
    }
    const reason = info.byUs
      ? (this.closeReason ?? this.peerReason ?? info.reason)
      : (this.peerReason ?? (printable(info.reason) || 'closed-by-peer'));
    this.emit('close', { reason, code: info.code, byUs: info.byUs });
  }
}
