/**
 * Whether an inbound peer that passed its hello may take a slot (issue #8: one IP or one network must not
 * hold every inbound slot): at most `maxPerIp` established inbound peers from one non-loopback IP, at most
 * `maxPerNetgroup` from one public netgroup, and when all `maxInbound` slots are full another inbound peer
 * is evicted for it (inbound-eviction.ts), unless that would only churn the newcomer's own netgroup.
 * Outbound peers are never passed in, so never evicted.
 * PURE: randomness injected. Imports net-address and inbound-eviction.
 */
import { selectEvictionCandidate } from './inbound-eviction.js';
import { addressClass, netgroup } from './net-address.js';

export interface InboundPeerView {
  host: string;
  latencyMs: number | null;
  lastBlockAt: number;
  lastTxAt: number;
  connectedAt: number;
}

export interface InboundLimits {
  maxInbound: number;
  maxPerIp: number;
  maxPerNetgroup: number;
}

export type Admission<T> = { ok: true; evict?: T } | { ok: false; reason: 'too-many-from-ip' | 'too-many-from-netgroup' | 'too-many-inbound' };

export function admitInbound<T extends InboundPeerView>(host: string, inbound: readonly T[], limits: InboundLimits, random: () => number): Admission<T> {
  const cls = addressClass(host);
  const group = netgroup(host);
  if (cls !== 'loopback' && inbound.filter((p) => p.host === host).length >= limits.maxPerIp) return { ok: false, reason: 'too-many-from-ip' };
  if (cls === 'public' && inbound.filter((p) => netgroup(p.host) === group).length >= limits.maxPerNetgroup)
    return { ok: false, reason: 'too-many-from-netgroup' };
  if (inbound.length < limits.maxInbound) return { ok: true };
  const victim = selectEvictionCandidate(
    inbound.map((p) => ({ peer: p, netgroup: netgroup(p.host), latencyMs: p.latencyMs, lastBlockAt: p.lastBlockAt, lastTxAt: p.lastTxAt, connectedAt: p.connectedAt })),
    random,
  );
  // Evicting from the newcomer's own netgroup would only churn that group's members.
  if (victim === undefined || netgroup(victim.host) === group) return { ok: false, reason: 'too-many-inbound' };
  return { ok: true, evict: victim };
}
