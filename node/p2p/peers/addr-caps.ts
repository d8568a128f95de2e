/**
 * AddrCaps: the AddrBook's per-source, per-source-netgroup and per-address-netgroup counts, and the caps
 * over them, so one peer (or many node ids from one network) flooding addresses holds a bounded share of
 * the table and cannot eclipse us (Core's source-group buckets). Operator-trusted sources are not counted
 * against the group caps nor limited.
 * PURE: no I/O, no clock. Imports only storage/peer-layout types and ./net-address.
 */
import type { AddrEntry } from '../../storage/peer-layout.js';
import type { AddRejectReason } from './addr-policy.js';
import { netgroup } from './net-address.js';

/** The address netgroup an entry counts against, or undefined for loopback (one machine: no diversity to keep). */
function addrGroup(host: string): string | undefined {
  const g = netgroup(host);
  return g.startsWith('lo:') ? undefined : g;
}

export interface AddrCapLimits {
  maxPerSource: number;
  maxPerSourceGroup: number;
  maxPerAddrGroup: number;
}

export class AddrCaps {
  private readonly bySource = new Map<string, number>();
  /** Entries per source netgroup (only those added with a known source group) and per address netgroup. */
  private readonly bySourceGroup = new Map<string, number>();
  private readonly byAddrGroup = new Map<string, number>();
  /** key -> source netgroup of the peer that told us, for the entries that have one. */
  private readonly sourceGroupOf = new Map<string, string>();

  constructor(
    private readonly uncapped: ReadonlySet<string>,
    private readonly o: AddrCapLimits,
  ) {}

  /** How many present entries `source` added. */
  countBySource(source: string): number {
    return this.bySource.get(source) ?? 0;
  }

  /** The cap a new entry at `host` from `source` (in netgroup `sourceGroup`, when known) would break, if any. */
  limitReached(source: string, sourceGroup: string | undefined, host: string): AddRejectReason | undefined {
    if (this.uncapped.has(source)) return undefined;
    if (this.countBySource(source) >= this.o.maxPerSource) return 'source-limit';
    if (sourceGroup !== undefined && (this.bySourceGroup.get(sourceGroup) ?? 0) >= this.o.maxPerSourceGroup) return 'group-limit';
    const ag = addrGroup(host);
    if (ag !== undefined && (this.byAddrGroup.get(ag) ?? 0) >= this.o.maxPerAddrGroup) return 'group-limit';
    return undefined;
  }

  /** Remembers the source netgroup of a new entry at `key`, counted by the next `count`. */
  setSourceGroup(key: string, source: string, sourceGroup: string | undefined): void {
    if (sourceGroup !== undefined && !this.uncapped.has(source)) this.sourceGroupOf.set(key, sourceGroup);
  }

  /** Forgets the source netgroup of an entry that was not inserted after all. */
  clearSourceGroup(key: string): void {
    this.sourceGroupOf.delete(key);
  }

  /** Counts an entry now in the table. */
  count(key: string, e: AddrEntry): void {
    this.bySource.set(e.source, this.countBySource(e.source) + 1);
    this.countGroups(key, e, 1);
  }

  /** Uncounts an entry leaving the table. */
  uncount(key: string, e: AddrEntry): void {
    const n = this.countBySource(e.source) - 1;
    if (n > 0) this.bySource.set(e.source, n);
    else this.bySource.delete(e.source);
    this.countGroups(key, e, -1);
    this.sourceGroupOf.delete(key);
  }

  private countGroups(key: string, e: AddrEntry, delta: number): void {
    const bump = (m: Map<string, number>, g: string | undefined) => {
      if (g === undefined) return;
      const n = (m.get(g) ?? 0) + delta;
      if (n > 0) m.set(g, n);
      else m.delete(g);
    };
    if (this.uncapped.has(e.source)) return;
    bump(this.bySourceGroup, this.sourceGroupOf.get(key));
    bump(this.byAddrGroup, addrGroup(e.host));
  }
}
