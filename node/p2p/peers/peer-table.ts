/**
 * PeerTable: thin glue that owns an AddrBook and its PeerStore. Callers use `table.book` directly (all
 * policy lives there); the table loads the store into the book at open and persists the book's changes on a
 * timer, so a gossip flood of thousands of addresses becomes one batch per interval, not thousands of writes.
 * On close it flushes what is left. It also expires bans on each tick.
 *
 * Timers live here, not in the pure book. Imports storage/peer-store and p2p/peers/addr-book only.
 */
import { AddrBook, type AddrBookOptions } from './addr-book.js';
import { PeerStore } from '../../storage/peer-store.js';

export interface PeerTableOptions extends AddrBookOptions {
  /** How often dirty entries are written; default 1000 ms. */
  flushIntervalMs?: number;
  /**
   * Called when a background flush fails; the changes stay queued and are retried on the next tick.
   * Without it the error is rethrown as an unhandled rejection (which stops the process): never swallowed.
   */
  onError?: (err: unknown) => void;
}

export interface PeerTableLoadReport {
  loaded: number;
  /** Undecodable records, deleted by the store. */
  skipped: number;
  /** Decodable entries the book refused (another network's host, our own address, over the bound). */
  dropped: number;
}

export const DEFAULT_FLUSH_INTERVAL_MS = 1000;

export class PeerTable {
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private batches = 0;
  private records = 0;

  private constructor(
    readonly book: AddrBook,
    private readonly store: PeerStore,
    readonly loadReport: PeerTableLoadReport,
    private readonly onError: ((err: unknown) => void) | undefined,
  ) {}

  /**
   * Opens the store at `path` (e.g. `peerDbPath(datadir)`), loads it into a new AddrBook and starts the flush
   * timer. Records that were dropped on load are deleted on the first flush.
   * @throws NodeError STORAGE_LOCKED / STORAGE_CORRUPT from PeerStore.open.
   */
  static async open(path: string, opts: PeerTableOptions): Promise<PeerTable> {
    const store = await PeerStore.open(path);
    try {
      const { entries, bans, skipped } = await store.loadAll();
      const book = new AddrBook(opts);
      const { loaded, dropped } = book.load(entries, bans);
      const table = new PeerTable(book, store, { loaded, skipped, dropped: dropped.length }, opts.onError);
      const interval = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
      table.timer = setInterval(() => table.tick(), interval);
      table.timer.unref();
      return table;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /** Batches written and records (entries + bans, puts + deletes) in them, since open. */
  get stats(): { batches: number; records: number } {
    return { batches: this.batches, records: this.records };
  }

  /** Writes everything the book changed since the last flush, in one batch. Serialised with other flushes. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.writeChanges());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer, flushes the rest and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      await this.store.close();
    }
  }

  private tick(): void {
    this.book.expireBans();
    if (!this.book.hasChanges) return;
    this.flush().catch((err: unknown) => {
      if (this.onError) this.onError(err);
      else throw err;
    });
  }

  private async writeChanges(): Promise<void> {
    if (!this.book.hasChanges) return;
    const changes = this.book.takeChanges();
    try {
      await this.store.apply(changes);
      this.batches += 1;
      this.records += changes.upserts.length + changes.removals.length + changes.bans.length + changes.unbans.length;
    } catch (e) {
      this.book.requeue(changes);
      throw e;
    }
  }
}
