/**
 * Signature checks for transaction admission, gathered into small batches for the worker pool so the
 * main thread stays free for the network and RPC while a burst of transactions is verified. When no
 * batch is in flight, what arrived in the current turn goes out at once; while one is in flight, new
 * signatures gather and go out when it answers, when `maxBatch` are waiting, or `maxDelayMs` after the
 * first, whichever comes first. A lone transaction never waits for a timer; a burst fills batches as
 * large as the workers' round trip allows. Every batch goes to the workers, however small.
 * If the pool refuses a batch (its queue is full, it is closing, a worker died) the batch is verified
 * inline instead: slower, but a verdict is never lost or made up, and the inline work slows the
 * producers down (back-pressure). Must not import chain, storage or p2p.
 */
import { NodeError } from '../core/errors.js';
import { VerifyJob } from './verify-pool.js';

export interface BatchVerifyBackend {
  /** `opts.inlineBelow: 0` asks for the workers even for one signature (VerifyPool honours it). */
  verifyAll(jobs: readonly VerifyJob[], opts?: { inlineBelow?: number }): Promise<boolean[]>;
}

export interface BatchingVerifierOptions {
  pool: BatchVerifyBackend;
  /** The same verdicts on the calling thread, for a batch the pool refused. */
  inline: (msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array) => boolean;
  /** Signatures per batch; default 64 (~5 ms of native work, split over the workers). */
  maxBatch?: number;
  /** Longest wait of the first signature of a batch; default 2 ms. */
  maxDelayMs?: number;
}

interface Pending {
  job: VerifyJob;
  resolve: (ok: boolean) => void;
}

export class BatchingVerifier {
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Batches handed to the pool and not yet answered; for stats and tests. */
  inFlight = 0;
  /** Batches sent so far, and how many of them the pool refused (verified inline). */
  readonly counts = { batches: 0, signatures: 0, inlineFallbacks: 0 };

  /** @throws NodeError INVALID_ARGUMENT on a non-positive batch size or a negative delay. */
  constructor(private readonly o: BatchingVerifierOptions) {
    this.maxBatch = o.maxBatch ?? 64;
    this.maxDelayMs = o.maxDelayMs ?? 2;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new NodeError('INVALID_ARGUMENT', `"maxBatch" expected an integer >= 1, got ${this.maxBatch}`);
    if (!Number.isFinite(this.maxDelayMs) || this.maxDelayMs < 0)
      throw new NodeError('INVALID_ARGUMENT', `"maxDelayMs" expected a number >= 0, got ${this.maxDelayMs}`);
  }

  /** Resolves with the verdict of one signature (never rejects). */
  verify(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.pending.push({ job: { msg, sig, publicKey }, resolve });
      // Nothing in flight: go at the end of this turn (with whatever else this turn adds), so a lone tx
      // never waits. Otherwise gather until the batch in flight answers, `maxBatch` are waiting, or
      // maxDelayMs passed, whichever comes first (Nagle's algorithm, for signatures).
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (this.inFlight === 0) this.immediate ??= setImmediate(() => this.flush());
      else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  /** Sends what is pending now (also called by the timer). */
  flush(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.counts.batches++;
    this.counts.signatures += batch.length;
    this.inFlight++;
    const jobs = batch.map((p) => p.job);
    // Always the workers, even for one signature: the main thread belongs to the network and RPC.
    this.o.pool.verifyAll(jobs, { inlineBelow: 0 }).then(
      (verdicts) => {
        this.inFlight--;
        batch.forEach((p, i) => p.resolve(verdicts[i] === true));
        if (this.inFlight === 0 && this.pending.length > 0) this.flush();
      },
      () => {
        this.inFlight--;
        this.counts.inlineFallbacks++;
        for (const p of batch) p.resolve(this.o.inline(p.job.msg, p.job.sig, p.job.publicKey));
        if (this.inFlight === 0 && this.pending.length > 0) this.flush();
      },
    );
  }
}
