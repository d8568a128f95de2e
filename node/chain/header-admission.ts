/**
 * Header admission, the anti-DoS half of the chain (docs/protocol.md "Admission rules"): a header is
 * admitted only if it connects to a known header, meets its own target no easier than the genesis target,
 * carries the bits the retarget rule expects and passes the time rules; a batch whose chain is lighter
 * than our tip (beyond LOW_WORK_MARGIN_BLOCKS) is not kept, and header-only entries are capped.
 * Works on the in-memory block index only; Chain owns it and serialises everything else.
 * Imports core and the block index; no I/O.
 */
import { BlockHeader, blockHash } from '../core/block.js';
import { toHex } from '../core/bytes.js';
import { checkHeaderContext, checkHeaderSanity } from '../core/check-block.js';
import { ChainParams } from '../core/params.js';
import { workOf } from '../core/pow.js';
import { Verdict, ok, reject } from '../core/verdict.js';
import { BlockStatus } from '../storage/ledger-encoding.js';
import { BlockIndex, IndexNode } from './block-index.js';

/** A branch lighter than our tip by more than this many blocks' work (at the tip's target) is not admitted. */
export const LOW_WORK_MARGIN_BLOCKS = 6;
/** Header-only nodes kept in memory at most; beyond it new header chains are refused until bodies arrive. */
export const MAX_HEADER_ONLY = 200_000;

export interface HeadersResult {
  /** The node of the last header of the batch. */
  last: IndexNode;
  /** Headers not known before. */
  added: number;
}
export class HeaderAdmission {
  constructor(
    private readonly index: BlockIndex,
    private readonly params: ChainParams,
    private readonly clock: () => number,
    private readonly maxHeaderOnly = MAX_HEADER_ONLY,
  ) {}

  /** Work below which a branch is not admitted: the tip's work less the margin. */
  lowWorkFloor(): bigint {
    const t = this.index.tip;
    const floor = t.work - BigInt(LOW_WORK_MARGIN_BLOCKS) * workOf(t.header.bits);
    return floor > 0n ? floor : 0n;
  }

  /** True when `n`'s body is worth storing: its branch is near our tip's work, or leads to a heavier header chain. */
  isWanted(n: IndexNode): boolean {
    if (n.work >= this.lowWorkFloor()) return true;
    const best = this.index.bestHeader;
    return best.work > this.index.tip.work && this.index.ancestor(best, n.height) === n;
  }

  /**
   * The cheap part of admitting a block, on its header alone and without changing anything: lets the
   * P2P layer refuse a junk block before decoding its body. Context rules (bits, time) are left to
   * acceptBlock; a header already known passes here.
   */
  screenHeader(h: BlockHeader): Verdict {
    const hash = blockHash(h);
    const known = this.index.get(toHex(hash));
    if (known) return known.status === BlockStatus.Failed ? reject('consensus', 'duplicate-invalid') : ok();
    const sane = checkHeaderSanity(h, hash, this.params.genesisBits);
    if (!sane.ok) return sane;
    const parent = this.index.get(toHex(h.prevHash));
    if (!parent) return reject('missing-parent', 'prev-blk-not-found');
    if (parent.status === BlockStatus.Failed) return reject('consensus', 'bad-prevblk');
    const work = parent.work + workOf(h.bits);
    // An unknown header cannot be on the way to the best header chain: only the floor applies.
    if (work < this.lowWorkFloor()) return reject('policy', 'low-work-branch', `chain work ${work} below ${this.lowWorkFloor()}`);
    return ok();
  }

  /**
   * Validates a batch of consecutive headers (a `headers` message) and adds the new ones to the tree,
   * header-only. Synchronous and cheap: one sha256d per header. The whole batch is refused if any header
   * is invalid, if the first does not connect, or if the chain it ends in is too light to be worth
   * keeping (then nothing of it is kept).
   */
  acceptHeaders(headers: BlockHeader[]): Verdict<HeadersResult> {
    if (headers.length === 0) return reject('consensus', 'bad-headers-empty');
    const added: IndexNode[] = [];
    const undo = (): void => {
      for (let i = added.length - 1; i >= 0; i--) this.index.removeHeader(added[i]!);
    };
    let prev: IndexNode | undefined;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      const r = this.admitHeader(h, prev, i === 0);
      if (!r.ok) {
        undo();
        return r;
      }
      if (r.value.added) added.push(r.value.node);
      prev = r.value.node;
    }
    const last = prev!;
    if (added.length > 0 && last.work < this.lowWorkFloor()) {
      undo();
      return reject('policy', 'low-work-headers', `chain work ${last.work} below ${this.lowWorkFloor()}`);
    }
    if (added.length > 0 && this.index.headerOnlyCount > this.maxHeaderOnly) {
      // Cap: each kept header has real work at a near-tip target, but memory is bounded all the same.
      undo();
      return reject('policy', 'header-cap-reached', `${this.maxHeaderOnly} headers wait for their bodies`);
    }
    return ok({ last, added: added.length });
  }

  /** One header after `prev` (or after its stored parent when `first`). */
  private admitHeader(h: BlockHeader, prev: IndexNode | undefined, first: boolean): Verdict<{ node: IndexNode; added: boolean }> {
    const hash = blockHash(h);
    const hex = toHex(hash);
    if (prev && toHex(h.prevHash) !== prev.hex) return reject('consensus', 'bad-headers-noncontinuous');
    const known = this.index.get(hex);
    if (known) {
      if (known.status === BlockStatus.Failed) return reject('consensus', 'duplicate-invalid');
      return ok({ node: known, added: false });
    }
    const sane = checkHeaderSanity(h, hash, this.params.genesisBits);
    if (!sane.ok) return sane;
    const parent = prev ?? this.index.get(toHex(h.prevHash));
    if (!parent) return reject('missing-parent', first ? 'prev-blk-not-found' : 'bad-headers-noncontinuous');
    if (parent.status === BlockStatus.Failed) return reject('consensus', 'bad-prevblk');
    const ctx = checkHeaderContext(h, {
      parentHeight: parent.height,
      expectedBits: this.index.nextBits(parent),
      medianTimePast: this.index.medianTimePast(parent),
      now: this.clock(),
      minRetargetTimestamp: this.index.minRetargetTimestamp(parent),
    });
    if (!ctx.ok) return ctx;
    const node = this.index.add(hash, h, BlockStatus.Valid, parent.work + workOf(h.bits), false);
    return ok({ node, added: true });
  }
}
