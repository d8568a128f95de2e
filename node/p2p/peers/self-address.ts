/**
 * Where other nodes can dial us, after Bitcoin Core's local-address discovery: the operator's
 * `--external-address`, else an IP that SELF_ADDRESS_QUORUM outbound peers agree they see us at
 * (hello.observedIp), with our listening port. Announced in an `addr` to each peer we dial, and accepted
 * as ours when a peer's hello names it (handshake.ts, isObservedAcceptable).
 *
 * Bounded: at most MAX_OBSERVED_IPS candidate IPs are counted (further ones are ignored until restart; an
 * honest node sees itself at one or two), each with the set of peers reporting it (at most the outbound
 * peers we ever had, and capped at SELF_ADDRESS_QUORUM: more agreement adds nothing).
 * PURE: no I/O. Imports net-address only.
 */
import { addressClass, formatIp, parseIp } from './net-address.js';

export const SELF_ADDRESS_QUORUM = 2;
export const MAX_OBSERVED_IPS = 16;

export class SelfAddress {
  private readonly observedBy = new Map<string, Set<string>>();
  /** The IP several outbound peers agree they see us at, if any. */
  adoptedIp: string | undefined;

  constructor(private readonly external?: { host: string; port: number }) {}

  /**
   * An outbound peer (`peerId`) sees us at `observedIp` (16 bytes). Returns the IP when this report made it
   * our adopted address. Loopback and unparseable IPs, and everything when an external address is set, are ignored.
   */
  note(observedIp: Uint8Array, peerId: string): string | undefined {
    if (this.external) return undefined;
    const ip = formatIp(observedIp);
    const cls = addressClass(ip);
    if (cls === undefined || cls === 'loopback') return undefined;
    if (!this.observedBy.has(ip) && this.observedBy.size >= MAX_OBSERVED_IPS) return undefined;
    const set = this.observedBy.get(ip) ?? new Set<string>();
    if (set.size < SELF_ADDRESS_QUORUM) set.add(peerId);
    this.observedBy.set(ip, set);
    if (set.size < SELF_ADDRESS_QUORUM || this.adoptedIp === ip) return undefined;
    this.adoptedIp = ip;
    return ip;
  }

  /** The address to announce: the external one, else the adopted IP with `listenPort` (0: not listening). */
  announced(listenPort: number): { host: string; port: number } | undefined {
    if (this.external) return this.external;
    return this.adoptedIp !== undefined && listenPort > 0 ? { host: this.adoptedIp, port: listenPort } : undefined;
  }

  /** IPs a peer's hello.observed may name for us besides our socket's own address. */
  ips(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const h of [this.external?.host, this.adoptedIp]) {
      const ip = h === undefined ? undefined : parseIp(h);
      if (ip) out.push(ip);
    }
    return out;
  }

  /** Candidate IPs being counted (for tests of the bound). */
  get candidates(): number {
    return this.observedBy.size;
  }
}
