/**
 * Signature checks started before a block's turn to connect (the sync pipeline, issue #9): while the
 * chain connects one block, the worker pool already verifies the next ones. Holds, per block hash, the
 * block, its sanity result and the pending verdict; at most MAX_EARLY_CHECKS, the oldest dropped first
 * (its checks still land in the signature cache; connect checks it again otherwise). No I/O.
 */
import { Block } from '../core/block.js';
import { SanityResult } from '../core/check-block.js';
import { Verdict } from '../core/verdict.js';
import { BatchSignatureVerifier, SignatureCache, checkBlockSignatures } from './sig-check.js';

export const MAX_EARLY_CHECKS = 32;

export interface EarlyCheck {
  block: Block;
  sanity: SanityResult;
  /** undefined when the verifier could not take the batch: connect checks the signatures itself. */
  sigs: Promise<Verdict | undefined>;
}

export class EarlyChecks {
  private readonly checks = new Map<string, EarlyCheck>();

  constructor(
    private readonly verifier: BatchSignatureVerifier,
    private readonly cache: SignatureCache | undefined,
    private readonly max = MAX_EARLY_CHECKS,
  ) {}

  get size(): number {
    return this.checks.size;
  }

  has(hex: string): boolean {
    return this.checks.has(hex);
  }

  /** Starts the signature checks of `block` (its sanity already passed). */
  start(hex: string, block: Block, sanity: SanityResult): void {
    const sigs = checkBlockSignatures(block, sanity.ids, this.verifier, this.cache).catch(() => undefined);
    this.checks.set(hex, { block, sanity, sigs });
    if (this.checks.size > this.max) this.checks.delete(this.checks.keys().next().value!);
  }

  /** The early check of this very block object, if any (not removed). */
  peek(hex: string, block: Block): EarlyCheck | undefined {
    const c = this.checks.get(hex);
    return c?.block === block ? c : undefined;
  }

  /** The signature verdict for `block`: the early one (removed) if there is one, else checked now. */
  signatures(hex: string, block: Block, ids: Uint8Array[]): Promise<Verdict> {
    const c = this.checks.get(hex);
    if (c) this.checks.delete(hex);
    const early = c?.block === block ? c.sigs : Promise.resolve(undefined);
    return early.then((v) => v ?? checkBlockSignatures(block, ids, this.verifier, this.cache));
  }
}
