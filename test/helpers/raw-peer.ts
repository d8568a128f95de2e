/**
 * A scripted raw peer for adversarial tests, in the manner of Bitcoin Core's functional-test P2PInterface:
 * a bare `ws` client (not the node's transport, so it can break every rule the transport enforces) that can
 * complete a valid handshake under its own fresh secp256k1 identity (hello + helloProof, docs/protocol.md
 * "Handshake"), or send arbitrary bytes, text frames and messages at any point. It records everything the
 * node sends back: decoded messages, frames that did not decode, the `disconnect` reason and the ws close
 * code and reason.
 *
 * Test-only. Uses the node's pure message codec and handshake helpers; no chain, storage or p2p logic.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { toHex } from '../../node/core/bytes.js';
import { isValidPrivateKey, publicKeyOf } from '../../node/core/keys.js';
import { Socket } from 'node:net';
import { parseIp } from '../../node/p2p/peers/net-address.js';
import { PROTOCOL_VERSION, signHelloProof, verifyHelloProof } from '../../node/p2p/protocol/handshake.js';
import {
  HelloMessage,
  Message,
  MessageOf,
  MessageType,
  decodeMessage,
  encodeMessage,
} from '../../node/p2p/protocol/messages.js';
import { waitFor } from './wait-for.js';

export interface RawPeerOptions {
  chainId: number;
  genesisHash: Uint8Array;
  /** Our identity; default a fresh random key, so every raw peer is a new nodeId. */
  privateKey?: Uint8Array;
  /** Advertised in hello; 0 = not listening (the default). */
  listenPort?: number;
  userAgent?: string;
  /** Largest frame we accept from the node; default 8 MiB (more than the protocol allows, to observe violations). */
  maxPayload?: number;
  /** Ms to wait for the WebSocket to open; default 5,000. */
  openTimeoutMs?: number;
  /** Local IP to connect from (e.g. 127.0.0.2: another loopback "host"). */
  localAddress?: string;
}

export interface RawCloseInfo {
  code: number;
  reason: string;
}

/** Every open raw peer, so a test file's `after` can terminate whatever a failing test left behind. */
const open = new Set<RawPeer>();

export class RawPeer {
  readonly privateKey: Uint8Array;
  readonly nodeId: Uint8Array;
  readonly nodeIdHex: string;
  /** Fresh per connection, as the protocol requires: the node must sign exactly this. */
  readonly challenge = new Uint8Array(randomBytes(32));
  /** Decoded messages from the node, in arrival order. */
  readonly received: Message[] = [];
  /** Frames from the node that did not decode (a conforming node sends none). */
  readonly undecodable: Uint8Array[] = [];
  /** Text frames from the node (a conforming node sends none). */
  textFrames = 0;
  /** The node's hello, once received. */
  peerHello: HelloMessage | undefined;
  /** Whether the node's helloProof verified against its hello and our challenge. */
  peerProofValid: boolean | undefined;
  /** Reason from the node's `disconnect` message, if it sent one. */
  disconnectReason: string | undefined;
  /** Set when the socket is gone. */
  closeInfo: RawCloseInfo | undefined;
  /** Resolves when the socket is gone (never rejects). */
  readonly closed: Promise<RawCloseInfo>;
  /** Socket errors seen (EPIPE / ECONNRESET after the node cut us are expected in these tests). */
  readonly errors: Error[] = [];
  /** Scripted behaviour: called for every decoded message from the node (e.g. to answer getheaders). */
  onMessageHook: ((m: Message) => void) | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly o: RawPeerOptions,
    privateKey: Uint8Array,
  ) {
    this.privateKey = privateKey;
    this.nodeId = publicKeyOf(privateKey);
    this.nodeIdHex = toHex(this.nodeId);
    let resolveClosed!: (c: RawCloseInfo) => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('error', (e) => this.errors.push(e));
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      open.delete(this);
      resolveClosed(this.closeInfo);
    });
  }

  /**
   * Opens a WebSocket to `url` (no handshake yet: the node's hello is recorded as it arrives).
   * @throws Error when the socket does not open within the timeout or the upgrade is refused.
   */
  static async connect(url: string, o: RawPeerOptions): Promise<RawPeer> {
    let key = o.privateKey;
    while (key === undefined || !isValidPrivateKey(key)) key = new Uint8Array(randomBytes(32));
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: o.maxPayload ?? 8 * 1024 * 1024,
      followRedirects: false,
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    });
    const peer = new RawPeer(ws, o, key);
    open.add(peer);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`raw peer: ${url} did not open within ${o.openTimeoutMs ?? 5000} ms`));
      }, o.openTimeoutMs ?? 5000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`raw peer: upgrade refused, HTTP ${res.statusCode} ${String(res.headers['x-minichain-reason'] ?? '')}`));
        ws.terminate();
      });
      ws.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`raw peer: ${url} closed before opening`));
      });
    });
    return peer;
  }

  /** Connects and completes the handshake. */
  static async connectAndHandshake(url: string, o: RawPeerOptions, timeoutMs = 5000): Promise<RawPeer> {
    const p = await RawPeer.connect(url, o);
    await p.handshake(timeoutMs);
    return p;
  }

  /** Terminates every raw peer still open (for `after`). */
  static async closeAll(): Promise<void> {
    const peers = [...open];
    for (const p of peers) p.ws.terminate();
    await Promise.all(peers.map((p) => p.closed));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Where we see the node's socket (hello.observed*), as an honest peer reports it. */
  observed(): { observedIp: Uint8Array; observedPort: number } {
    return socketObserved(this.ws);
  }

  /** The last hello we sent (the transcript's other half). */
  sentHello: HelloMessage | undefined;

  /** Our hello, as docs/protocol.md specifies; fields may be overridden to send a wrong one. */
  makeHello(overrides: Partial<HelloMessage> = {}): HelloMessage {
    return {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      chainId: this.o.chainId,
      genesisHash: this.o.genesisHash,
      nodeId: this.nodeId,
      challenge: this.challenge,
      listenPort: this.o.listenPort ?? 0,
      bestHeight: 0,
      bestWork: 0n,
      bestHash: this.o.genesisHash,
      userAgent: this.o.userAgent ?? 'raw-peer/0.1',
      timestamp: Date.now(),
      ...this.observed(),
      ...overrides,
    };
  }

  /** Our helloProof for the node's `hello`, over the transcript of the last hello we sent (we dialled). */
  proofFor(hello: HelloMessage): MessageOf<'helloProof'> {
    return { type: 'helloProof', signature: signHelloProof(this.sentHello!, hello, true, { genesisHash: this.o.genesisHash, privateKey: this.privateKey }) };
  }

  /**
   * The whole handshake: our hello, wait for the node's, our proof over its challenge, wait for its proof and
   * verify it against our challenge.
   * @throws Error when the node closes or does not answer in time, or its proof is invalid.
   */
  async handshake(timeoutMs = 5000): Promise<void> {
    this.send(this.makeHello());
    const hello = await this.waitForMessage('hello', timeoutMs);
    this.send(this.proofFor(hello));
    const proof = await this.waitForMessage('helloProof', timeoutMs);
    this.peerProofValid = verifyHelloProof(proof.signature, this.sentHello!, hello, true, this.o.genesisHash);
    if (!this.peerProofValid) throw new Error('raw peer: the node sent an invalid helloProof');
  }

  /** Encodes and sends one message. Returns false when the socket is no longer open. */
  send(m: Message): boolean {
    if (m.type === 'hello') this.sentHello = m;
    return this.sendBytes(encodeMessage(m));
  }

  /** Sends `bytes` as one binary ws message, whatever they contain. False when the socket is not open. */
  sendBytes(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.ws.send(bytes, { binary: true });
    return true;
  }

  /** Sends a text ws message (forbidden by the protocol). */
  sendText(text: string): boolean {
    if (!this.isOpen) return false;
    this.ws.send(text, { binary: false });
    return true;
  }

  /** Bytes queued in our socket and not yet written: lets a flood wait for the kernel instead of ballooning. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Messages of `type` received so far. */
  messages<T extends MessageType>(type: T): MessageOf<T>[] {
    return this.received.filter((m): m is MessageOf<T> => m.type === type);
  }

  /**
   * The first received message of `type` matching `pred` (already received or arriving within `timeoutMs`).
   * @throws Error on timeout, or when the socket closes first.
   */
  async waitForMessage<T extends MessageType>(type: T, timeoutMs = 5000, pred: (m: MessageOf<T>) => boolean = () => true): Promise<MessageOf<T>> {
    let found: MessageOf<T> | undefined;
    await waitFor(
      () => {
        found = this.messages(type).find(pred);
        if (found) return true;
        if (this.closeInfo) throw new Error(`raw peer: closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${type}`);
        return false;
      },
      timeoutMs,
      `${type} from the node`,
      5,
    );
    return found!;
  }

  /** Waits until the node closes the connection. @throws Error on timeout. */
  async waitForClose(timeoutMs = 5000): Promise<RawCloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`raw peer: the node did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes from our side (normal close); resolves when the socket is gone, terminating it after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    if (this.closeInfo) return;
    this.ws.close(1000, 'raw-peer-done');
    const t = setTimeout(() => this.ws.terminate(), graceMs);
    await this.closed;
    clearTimeout(t);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      this.textFrames++;
      return;
    }
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    let m: Message;
    try {
      m = decodeMessage(frame);
    } catch {
      this.undecodable.push(frame);
      return;
    }
    if (m.type === 'hello') this.peerHello ??= m;
    if (m.type === 'disconnect') this.disconnectReason ??= m.reason;
    // Keep the peer alive like an honest one would: answer pings.
    if (m.type === 'ping') this.send({ type: 'pong', nonce: m.nonce });
    this.received.push(m);
    this.onMessageHook?.(m);
  }
}

/** hello.observed* for a client ws: the IP and port of the server's end of the socket. */
export function socketObserved(ws: WebSocket): { observedIp: Uint8Array; observedPort: number } {
  const sock = (ws as unknown as { _socket?: Socket })._socket;
  const ip = (sock?.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
  return { observedIp: parseIp(ip) ?? new Uint8Array(16), observedPort: sock?.remotePort ?? 0 };
}
