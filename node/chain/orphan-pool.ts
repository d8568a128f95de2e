/**
 * Blocks whose parent we do not have yet, held until it arrives. Bounded by count and bytes; the
 * oldest is dropped first, so a peer sending junk orphans can never grow memory. No I/O.
 */
import { Block, blockSize } from '../core/block.js';
import { toHex } from '../core/bytes.js';

export class OrphanPool {
  private readonly byHash = new Map<string, { block: Block; size: number }>();
  private bytes = 0;

  constructor(private readonly maxCount = 256, private readonly maxBytes = 32 * 1024 * 1024) {}

  get size(): number {
    return this.byHash.size;
  }

  has(hex: string): boolean {
    return this.byHash.has(hex);
  }

  add(hex: string, block: Block): void {
    if (this.byHash.has(hex)) return;
    const size = blockSize(block);
    this.byHash.set(hex, { block, size });
    this.bytes += size;
    for (const [k, v] of this.byHash) {
      if (this.byHash.size <= this.maxCount && this.bytes <= this.maxBytes) break;
      this.byHash.delete(k);
      this.bytes -= v.size;
    }
  }

  /** Removes and returns the orphans whose parent is `parentHex`. */
  takeChildren(parentHex: string): { hex: string; block: Block }[] {
    const out: { hex: string; block: Block }[] = [];
    for (const [k, v] of this.byHash) {
      if (toHex(v.block.header.prevHash) === parentHex) {
        out.push({ hex: k, block: v.block });
        this.byHash.delete(k);
        this.bytes -= v.size;
      }
    }
    return out;
  }

  /** The earliest missing ancestor of an orphan chain, so sync can ask for it. */
  rootOf(hex: string): Uint8Array | undefined {
    let cur = this.byHash.get(hex);
    let guard = 0;
    while (cur && guard++ < this.maxCount) {
      const prev = toHex(cur.block.header.prevHash);
      const next = this.byHash.get(prev);
      if (!next) return cur.block.header.prevHash;
      cur = next;
    }
    return undefined;
  }
}
