/**
 * DialTracker: our outbound dials in flight, after CConnman's pending connections: which "host:port" keys
 * are being dialled (so none is dialled twice at once), the attempt recorded in the AddrBook before each
 * dial and the failure after, and one abort for shutdown. Only the dial: the handshake and all that follows
 * belong to the Peer and the PeerManager.
 * Imports transport and the address book.
 */
import { NodeError } from '../../core/errors.js';
import { Log } from '../../log.js';
import { AddrBook } from './addr-book.js';
import { CloseCode, Connection } from '../transport/connection.js';
import { dial } from '../transport/dialer.js';

export interface DialTrackerOptions {
  book: AddrBook;
  log: Log;
  dialTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** True once the owner is stopping: no new dial, and a connection that still lands is closed. */
  isStopped: () => boolean;
  /** A dial failed (not reported while stopping). */
  onFailure: (key: string) => void;
}

export class DialTracker {
  /** "host:port" keys being dialled. */
  private readonly dialing = new Set<string>();
  private readonly dials = new Set<Promise<unknown>>();
  private readonly abortController = new AbortController();

  constructor(private readonly o: DialTrackerOptions) {}

  /** How many dials are in flight. */
  get size(): number {
    return this.dialing.size;
  }

  has(key: string): boolean {
    return this.dialing.has(key);
  }

  /** The keys being dialled. */
  keys(): string[] {
    return [...this.dialing];
  }

  /**
   * Dials with bookkeeping; resolves undefined on failure (logged and recorded), throws only for 'manual'.
   * @throws NodeError ABORTED when stopping; for 'manual', the dial's own error.
   */
  async dial(key: string, url: string, kind: 'addr' | 'seed' | 'manual'): Promise<Connection | undefined> {
    if (this.o.isStopped()) throw new NodeError('ABORTED', 'P2P is stopping');
    this.dialing.add(key);
    if (this.o.book.has(key)) this.o.book.markAttempt(key);
    const attempt = dial(url, { timeoutMs: this.o.dialTimeoutMs, readyTimeoutMs: this.o.handshakeTimeoutMs, signal: this.abortController.signal });
    this.dials.add(attempt);
    try {
      const conn = await attempt;
      if (this.o.isStopped()) {
        conn.close('shutdown', CloseCode.goingAway);
        conn.start();
        return undefined;
      }
      return conn;
    } catch (e) {
      if (!this.o.isStopped()) {
        this.o.onFailure(key);
        this.o.log.debug({ url, err: (e as Error).message }, 'dial failed');
      }
      if (kind === 'manual') throw e;
      return undefined;
    } finally {
      this.dialing.delete(key);
      this.dials.delete(attempt);
    }
  }

  /** Aborts every dial in flight. */
  abort(): void {
    this.abortController.abort();
  }

  /** Resolves once every dial in flight has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.dials]);
  }
}
