/**
 * Signature checks started before a block's turn to connect (the sync pipeline, issue #9): while the
 * chain connects one block, the worker pool already verifies the next ones. Holds, per block hash, the
 * block, its sanity result and the pending verdict; at most MAX_EARLY_CHECKS, the oldest dropped first
 * (its checks still land in the signature cache; connect checks it again otherwise). No I/O.
 *
 * Blocks that arrive together share one verifier call: at most MAX_EARLY_CALLS calls are outstanding,
 * and what arrives meanwhile waits (for a free call: one event-loop turn, so a burst of messages joins;
 * for a call to finish: none) and goes out as one call of up to MAX_EARLY_CALL_JOBS signatures. Each call costs a round trip to the workers that waits
 * for the main thread (busy connecting), so fewer, larger calls keep the workers busier; each block
 * still gets its own verdict from its own answers.
 */
import { Block } from '../core/block.js';
import { SanityResult } from '../core/check-block.js';
import { Verdict } from '../core/verdict.js';
import { BatchSignatureVerifier, SignatureCache, SignatureJob, checkBlockSignatures, finishBlockSignatures, prepareBlockSignatures } from './sig-check.js';

export const MAX_EARLY_CHECKS = 32;
/** Verifier calls of early checks outstanding at once (one running, one queued behind it). */
export const MAX_EARLY_CALLS = 2;
/** Signatures of one merged call at most (a block is never split: a bigger block goes alone). */
export const MAX_EARLY_CALL_JOBS = 2000;

export interface EarlyCheck {
  block: Block;
  sanity: SanityResult;
  /** undefined when the verifier could not take the batch: connect checks the signatures itself. */
  sigs: Promise<Verdict | undefined>;
}

interface Waiting {
  jobs: SignatureJob[];
  keys: string[];
  resolve: (v: Verdict | undefined) => void;
}

export class EarlyChecks {
  private readonly checks = new Map<string, EarlyCheck>();
  /** Blocks whose jobs wait for the next merged call, in arrival order (at most MAX_EARLY_CHECKS). */
  private waiting: Waiting[] = [];
  private calls = 0;
  private flushScheduled = false;

  constructor(
    private readonly verifier: BatchSignatureVerifier,
    private readonly cache: SignatureCache | undefined,
    private readonly max = MAX_EARLY_CHECKS,
    private readonly schedule: (fn: () => void) => void = setImmediate,
  ) {}

  get size(): number {
    return this.checks.size;
  }

  has(hex: string): boolean {
    return this.checks.has(hex);
  }

  /** Starts the signature checks of `block` (its sanity already passed). */
  start(hex: string, block: Block, sanity: SanityResult): void {
    const sigs = this.verify(block, sanity);
    this.checks.set(hex, { block, sanity, sigs });
    if (this.checks.size > this.max) this.checks.delete(this.checks.keys().next().value!);
  }

  /** The early check of this very block object, if any (not removed). */
  peek(hex: string, block: Block): EarlyCheck | undefined {
    const c = this.checks.get(hex);
    return c?.block === block ? c : undefined;
  }

  /** The signature verdict for `block`: the early one (removed) if there is one, else checked now. */
  signatures(hex: string, block: Block, idsHex: string[]): Promise<Verdict> {
    const c = this.checks.get(hex);
    if (c) this.checks.delete(hex);
    const early = c?.block === block ? c.sigs : Promise.resolve(undefined);
    return early.then((v) => v ?? checkBlockSignatures(block, idsHex, this.verifier, this.cache));
  }

  private verify(block: Block, sanity: SanityResult): Promise<Verdict | undefined> {
    let p;
    try {
      p = prepareBlockSignatures(block, sanity.idsHex, this.cache);
    } catch {
      return Promise.resolve(undefined);
    }
    if (p.done) return Promise.resolve(p.done);
    const { jobs, keys } = p;
    return new Promise((resolve) => {
      // Bounded like the checks themselves: the oldest waiting block is left to connect's own check.
      if (this.waiting.length >= this.max) this.waiting.shift()!.resolve(undefined);
      this.waiting.push({ jobs, keys, resolve });
      this.maybeFlush();
    });
  }

  private maybeFlush(): void {
    if (this.flushScheduled || this.calls >= MAX_EARLY_CALLS || this.waiting.length === 0) return;
    this.flushScheduled = true;
    // One turn of the event loop: the blocks of the same burst of messages join this call.
    this.schedule(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.calls >= MAX_EARLY_CALLS || this.waiting.length === 0) return;
    const batch: Waiting[] = [];
    let size = 0;
    while (this.waiting.length > 0 && (batch.length === 0 || size + this.waiting[0]!.jobs.length <= MAX_EARLY_CALL_JOBS)) {
      const w = this.waiting.shift()!;
      batch.push(w);
      size += w.jobs.length;
    }
    const jobs = batch.length === 1 ? batch[0]!.jobs : batch.flatMap((w) => w.jobs);
    this.calls++;
    let answer: Promise<boolean[]>;
    try {
      answer = this.verifier.verifyAll(jobs);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer
      .then(
        (results) => {
          let offset = 0;
          for (const w of batch) {
            w.resolve(finishBlockSignatures(w.keys, results, offset, this.cache));
            offset += w.keys.length;
          }
        },
        // The pool refused (full, closed) or a worker died: connect checks these blocks itself.
        () => {
          for (const w of batch) w.resolve(undefined);
        },
      )
      .finally(() => {
        this.calls--;
        // What waited meanwhile goes at once: a turn of the event loop here would idle the workers.
        this.flush();
      });
  }
}
