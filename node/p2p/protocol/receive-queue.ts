/**
 * ReceiveQueue: one peer's received messages waiting for their turn, processed one at a time and in
 * order (as Core's ProcessMessages does), which keeps block download and getdata serving ordered. It is
 * bounded in bytes (Core's -maxreceivebuffer): the owner decides what a full queue means.
 * Knows nothing of messages: items are processed by the owner's callback. No imports.
 */

/**
 * Bytes of received messages waiting in one peer's queue before it is cut off (Core's -maxreceivebuffer).
 * This is the memory the queue really holds: bulky bodies (tx, block) wait as their raw frames and are
 * decoded only when their turn comes (a decoded tx is ~7x its 146 wire bytes); the rest is small.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/**
 * What one queued item costs beyond its frame bytes (the frame's own object, the queue's promise and
 * closure): measured at several hundred bytes, counted as 1 KiB, so a flood of 146-byte txs is bounded
 * by what it really holds, not by its wire size (issue #7: 276 MB RSS from one peer before).
 */
export const QUEUED_ITEM_OVERHEAD = 1024;

export interface ReceiveQueueOptions<T> {
  maxBytes: number;
  /** Items are skipped once the connection is no longer open. */
  isOpen: () => boolean;
  /** Handles one item at its turn; a returned promise is awaited before the next item. */
  process: (item: T) => Promise<void> | undefined;
  /** Whatever `process` threw, with the item. */
  onError: (e: unknown, item: T) => void;
}

export class ReceiveQueue<T> {
  private queue: Promise<void> = Promise.resolve();
  private queuedBytes = 0;

  constructor(private readonly o: ReceiveQueueOptions<T>) {}

  /** Bytes held now (frame sizes plus QUEUED_ITEM_OVERHEAD each). */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Queues `item` of `size` frame bytes; false (nothing queued) when it would exceed `maxBytes`. */
  push(item: T, size: number): boolean {
    size += QUEUED_ITEM_OVERHEAD;
    if (this.queuedBytes + size > this.o.maxBytes) return false;
    this.queuedBytes += size;
    this.queue = this.queue.then(async () => {
      try {
        // Yield to the event loop between messages: a flood that is refused without any I/O would
        // otherwise be processed in one run of microtasks and starve RPC and the other peers.
        await yieldToEventLoop();
        if (!this.o.isOpen()) return;
        const done = this.o.process(item);
        if (done) await done;
      } catch (e) {
        this.o.onError(e, item);
      } finally {
        this.queuedBytes -= size;
      }
    });
    return true;
  }

  /** Resolves when every queued item has been handled (or skipped because the connection closed). */
  drained(): Promise<void> {
    return this.queue;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
