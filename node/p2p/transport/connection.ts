/**
 * One peer connection over a ws WebSocket: binary frames in and out, bounded both ways, and a single
 * 'close' event that says who closed and why. Knows ws and bytes only: what a frame means is the
 * protocol layer's business (one frame = one message, see protocol/messages.ts).
 *
 * Bounds: an incoming frame above `maxFrameBytes` is refused by ws itself before it is buffered (ws
 * `maxPayload`, set far below ws's 100 MiB default); a text frame is a protocol error; a peer that
 * does not read what we send (its `bufferedAmount` would exceed `maxBufferedBytes`) is cut off rather
 * than allowed to grow our memory; a connection not marked ready (handshake done) within
 * `readyTimeoutMs` is closed, so half-open connections cannot hold the listener's pending slots.
 *
 * Events are held until `start()`: the creator wires its listeners first, then starts, so the first
 * frames (the peer's hello arrives right after the upgrade) and an early close are never lost.
 * Listeners must not throw: they run inside ws's socket handler, so the protocol layer catches per
 * peer (log, drop the peer) as the house style requires.
 *
 * Must not import protocol, chain or storage.
 */
import { EventEmitter } from 'node:events';
import { WebSocket } from './ws-lib.js';
import { NodeError } from '../../core/errors.js';

/** Largest frame sent or accepted. Equal to protocol/messages MAX_MESSAGE_BYTES (a unit test checks). */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;
/** Default cap on unsent bytes queued for one peer: four maximal frames. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * MAX_FRAME_BYTES;
/** Default time to complete the handshake (protocol/handshake HANDSHAKE_TIMEOUT_MS). */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** How long a closing connection may take to finish the ws close handshake before it is cut. */
export const DEFAULT_CLOSE_GRACE_MS = 2_000;
/** ws close reasons are limited to 123 bytes by RFC 6455 (125-byte control frame minus the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/** RFC 6455 close codes used here; the protocol layer may pass any valid code to close(). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  abnormal: 1006,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
} as const;

/** Stable close reasons produced by the transport itself. */
export const TransportReason = {
  frameTooLarge: 'frame-too-large',
  textFrame: 'text-frame',
  badFrame: 'bad-frame',
  sendBufferFull: 'send-buffer-full',
  handshakeTimeout: 'handshake-timeout',
  shutdown: 'shutdown',
} as const;

export type Direction = 'inbound' | 'outbound';

/**
 * A test-only link fault (the node's --allow-faults): every outgoing frame is held for delayMs ± jitterMs
 * before it reaches the socket, in order (a frame never overtakes an earlier one). Kernel traffic
 * shaping (tc netem) needs root, which a scenario runner must not.
 */
export interface LinkFault {
  delayMs: number;
  jitterMs: number;
  /** Uniform in [0, 1). */
  random: () => number;
}

export interface CloseInfo {
  code: number;
  /** Ours when byUs, else the peer's close reason (untrusted text: sanitize before logging). */
  reason: string;
  /** True when this side decided to close (including limits the transport enforced). */
  byUs: boolean;
}

/** Per-connection limits; all optional with the defaults above. */
export interface ConnectionLimits {
  maxFrameBytes?: number;
  maxBufferedBytes?: number;
  /** 0 disables the timeout. */
  readyTimeoutMs?: number;
  closeGraceMs?: number;
}

export interface ConnectionOptions extends ConnectionLimits {
  direction: Direction;
  remoteAddress: string;
  remotePort: number;
  /** Our end of the socket (the address the peer should see us at, absent a translator). */
  localAddress?: string;
  localPort?: number;
}

type ConnectionEvents = {
  frame: [frame: Uint8Array];
  close: [info: CloseInfo];
  /** A frame handed to the socket (metrics count messages and bytes out by type). */
  sent: [frame: Uint8Array];
};

let nextId = 1;

export class Connection extends EventEmitter<ConnectionEvents> {
  /** Process-unique, for logs. */
  readonly id = nextId++;
  readonly direction: Direction;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Our end of the socket ('' / 0 when unknown). */
  readonly localAddress: string;
  readonly localPort: number;
  /** Resolves once, when the socket is gone, whether or not start() was called. */
  readonly closed: Promise<CloseInfo>;
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;

  private readonly maxFrameBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly closeGraceMs: number;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private started = false;
  private ready = false;
  private held: Uint8Array[] = [];
  private decided?: CloseInfo;
  private final?: CloseInfo;
  private readyTimer?: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  private resolveClosed!: (info: CloseInfo) => void;
  private fault: LinkFault | undefined;
  /** Frames held back by the link fault, oldest first, with their release times (non-decreasing). */
  private delayed: { at: number; bytes: Uint8Array }[] = [];
  private delayedBytes = 0;
  private delayTimer?: NodeJS.Timeout;

  /** Takes ownership of an OPEN WebSocket. Listener and dial() construct these; tests may too. */
  constructor(
    private readonly ws: WebSocket,
    opts: ConnectionOptions,
  ) {
    super();
    this.direction = opts.direction;
    this.remoteAddress = opts.remoteAddress;
    this.remotePort = opts.remotePort;
    this.localAddress = opts.localAddress ?? '';
    this.localPort = opts.localPort ?? 0;
    this.maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.closeGraceMs = opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.binaryType = 'nodebuffer';
    ws.pause(); // nothing is read until start()
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('error', (err) => this.onError(err));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    if (readyTimeoutMs > 0)
      this.readyTimer = setTimeout(() => this.close(TransportReason.handshakeTimeout, CloseCode.policyViolation), readyTimeoutMs);
    if (ws.readyState !== WebSocket.OPEN) this.onClose(CloseCode.abnormal, 'not-open');
  }

  /** True until close() is called or the peer goes away; send() is a no-op afterwards. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** True once the protocol layer called markReady() (handshake complete). */
  get isReady(): boolean {
    return this.ready;
  }

  /** Unsent bytes queued for this peer (including frames a link fault holds back). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.delayedBytes;
  }

  /** Sets or clears (undefined) the link fault for frames sent from now on. */
  setLinkFault(fault: LinkFault | undefined): void {
    this.fault = fault && fault.delayMs + fault.jitterMs > 0 ? fault : undefined;
  }

  /** Cuts the socket at once, without a close handshake (a dropped link). */
  drop(reason: string): void {
    if (this.state === 'closed') return;
    this.decide({ code: CloseCode.abnormal, reason, byUs: true });
    this.ws.terminate();
  }

  /** Begins delivering 'frame' and 'close' events; frames that arrived earlier come first, in order. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const held = this.held;
    this.held = [];
    for (const f of held) this.emit('frame', f);
    if (this.final) this.emit('close', this.final);
    else if (this.state === 'open') this.ws.resume();
  }

  /** Handshake complete: stops the ready timeout and frees the listener's pending slot. */
  markReady(): void {
    if (this.ready) return;
    this.ready = true;
    clearTimeout(this.readyTimer);
  }

  /**
   * Queues one binary frame. Returns false (and sends nothing) when the connection is closing, or when
   * the peer is too slow: then the connection is cut with reason 'send-buffer-full'. The bytes must not
   * be mutated afterwards (ws may write them later without copying).
   * @throws NodeError INVALID_ARGUMENT when `bytes` exceeds the frame limit: a bug in the caller.
   */
  send(bytes: Uint8Array): boolean {
    if (bytes.length > this.maxFrameBytes)
      throw new NodeError('INVALID_ARGUMENT', `frame of ${bytes.length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
    if (this.state !== 'open' || this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.bufferedAmount + bytes.length > this.maxBufferedBytes) {
      // A close frame would wait behind the data the peer is not reading: cut the socket instead.
      this.decide({ code: CloseCode.abnormal, reason: TransportReason.sendBufferFull, byUs: true });
      this.ws.terminate();
      return false;
    }
    this.framesOut++;
    this.bytesOut += bytes.length;
    if (this.fault || this.delayed.length > 0) this.hold(bytes);
    else this.ws.send(bytes, { binary: true });
    this.emit('sent', bytes);
    return true;
  }

  private hold(bytes: Uint8Array): void {
    const now = Date.now();
    const f = this.fault;
    const wait = f ? Math.max(0, f.delayMs + (f.random() * 2 - 1) * f.jitterMs) : 0;
    const last = this.delayed.length > 0 ? this.delayed[this.delayed.length - 1]!.at : 0;
    this.delayed.push({ at: Math.max(last, now + wait), bytes });
    this.delayedBytes += bytes.length;
    if (this.delayed.length === 1) this.scheduleRelease();
  }

  private scheduleRelease(): void {
    const head = this.delayed[0];
    if (!head) return;
    this.delayTimer = setTimeout(() => this.release(), Math.max(0, head.at - Date.now()));
  }

  private release(): void {
    const now = Date.now();
    while (this.delayed.length > 0 && this.delayed[0]!.at <= now) {
      const { bytes } = this.delayed.shift()!;
      this.delayedBytes -= bytes.length;
      if (this.state === 'open' && this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: true });
    }
    this.scheduleRelease();
  }

  private dropDelayed(): void {
    clearTimeout(this.delayTimer);
    this.delayed = [];
    this.delayedBytes = 0;
  }

  /**
   * Starts an orderly close: frames already queued by send() go out first, then a ws close frame with
   * `code` and `reason` (truncated to 123 bytes). The socket is cut if the peer has not completed the
   * close within the grace period. Idempotent.
   * @throws NodeError INVALID_ARGUMENT for a code RFC 6455 forbids on the wire (1004-1006, 1015, < 1000...).
   */
  close(reason: string, code: number = CloseCode.normal): void {
    if (!isSendableCloseCode(code)) throw new NodeError('INVALID_ARGUMENT', `${code} is not a close code that may be sent`);
    if (this.state !== 'open') return;
    this.decide({ code, reason, byUs: true });
    this.dropDelayed(); // frames a link fault still holds are lost, as on a real faulty link
    this.ws.close(code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
    // Read on even if not started: the peer's close frame must be seen to finish the close handshake.
    if (!this.started) this.ws.resume();
    this.graceTimer = setTimeout(() => this.ws.terminate(), this.closeGraceMs);
  }

  private decide(info: CloseInfo): void {
    if (this.state === 'open') this.state = 'closing';
    this.decided ??= info;
    clearTimeout(this.readyTimer);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state !== 'open') return;
    if (!isBinary) {
      this.close(TransportReason.textFrame, CloseCode.unsupportedData);
      return;
    }
    // A plain Uint8Array view (no copy): decoders' slice() then copies, as it does not on a Buffer.
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.framesIn++;
    this.bytesIn += frame.length;
    if (this.started) this.emit('frame', frame);
    else this.held.push(frame);
  }

  private onError(err: Error & { code?: string }): void {
    // ws follows every 'error' with 'close'; record why so 'close' can say so.
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
      this.decide({ code: CloseCode.messageTooBig, reason: TransportReason.frameTooLarge, byUs: true });
    else if (err.code?.startsWith('WS_ERR_'))
      this.decide({ code: CloseCode.policyViolation, reason: `${TransportReason.badFrame}: ${err.message}`, byUs: true });
    else this.decide({ code: CloseCode.abnormal, reason: `socket-error: ${err.code ?? err.message}`, byUs: false });
  }

  private onClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dropDelayed();
    clearTimeout(this.readyTimer);
    clearTimeout(this.graceTimer);
    this.final = this.decided ?? { code, reason, byUs: false };
    this.resolveClosed(this.final);
    if (this.started) this.emit('close', this.final);
  }
}

/** RFC 6455 section 7.4: the codes an endpoint may put in a close frame (as ws checks them). */
export function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `max` bytes, never splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= max) return s;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
