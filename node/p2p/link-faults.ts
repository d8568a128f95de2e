/**
 * Test-only link faults (setLinkFault, refused unless the node runs with --allow-faults): per-message
 * delay with jitter, applied in the transport (Connection.setLinkFault), and connection drops at a
 * given rate. One rule per peer nodeId plus one for every peer ('*'); a peer's own rule wins.
 * Bounded: at most MAX_LINK_FAULT_RULES rules; setting a rule with zero delay and zero drops removes it.
 */
import { NodeError } from '../core/errors.js';
import { Log } from '../log.js';
import { Peer } from './protocol/peer.js';

export const MAX_LINK_FAULT_RULES = 256;
/** Drops are drawn once per second. */
const DROP_TICK_MS = 1000;

export interface LinkFaultSpec {
  /** nodeId of one peer; omitted = every peer. */
  peer?: string;
  delayMs: number;
  jitterMs: number;
  /** Connections (among the matching peers) cut per minute on average. */
  dropPerMinute: number;
}

export class LinkFaults {
  private readonly rules = new Map<string, LinkFaultSpec>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly peers: () => Peer[],
    private readonly random: () => number,
    private readonly log: Log,
  ) {}

  /**
   * Sets (or with zero delay, jitter and drops, clears) the rule for `spec.peer` or for every peer,
   * and applies it to the connections open now.
   * @throws NodeError INVALID_ARGUMENT for negative or absurd figures or too many rules.
   */
  set(spec: LinkFaultSpec): void {
    for (const k of ['delayMs', 'jitterMs', 'dropPerMinute'] as const) {
      const v = spec[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 600_000) throw new NodeError('INVALID_ARGUMENT', `"${k}" expected a number in 0..600000, got ${String(v)}`);
    }
    if (spec.jitterMs > spec.delayMs) throw new NodeError('INVALID_ARGUMENT', `"jitterMs" expected <= delayMs (${spec.delayMs}), got ${spec.jitterMs}`);
    const key = spec.peer ?? '*';
    if (spec.delayMs === 0 && spec.jitterMs === 0 && spec.dropPerMinute === 0) this.rules.delete(key);
    else {
      if (!this.rules.has(key) && this.rules.size >= MAX_LINK_FAULT_RULES) throw new NodeError('INVALID_ARGUMENT', `at most ${MAX_LINK_FAULT_RULES} link fault rules`);
      this.rules.set(key, { ...spec });
    }
    for (const p of this.peers()) this.apply(p);
    const drops = [...this.rules.values()].some((r) => r.dropPerMinute > 0);
    if (drops && !this.timer) {
      this.timer = setInterval(() => this.dropTick(), DROP_TICK_MS);
      this.timer.unref();
    } else if (!drops) this.clearTimer();
    this.log.warn({ rule: key, delayMs: spec.delayMs, jitterMs: spec.jitterMs, dropPerMinute: spec.dropPerMinute }, 'link fault set');
  }

  list(): LinkFaultSpec[] {
    return [...this.rules.values()].map((r) => ({ ...r }));
  }

  /** Applies the matching rule (or none) to a newly established peer's connection. */
  apply(peer: Peer): void {
    const r = this.ruleFor(peer);
    peer.conn.setLinkFault(r && r.delayMs + r.jitterMs > 0 ? { delayMs: r.delayMs, jitterMs: r.jitterMs, random: this.random } : undefined);
  }

  stop(): void {
    this.clearTimer();
  }

  private ruleFor(peer: Peer): LinkFaultSpec | undefined {
    return (peer.nodeIdHex && this.rules.get(peer.nodeIdHex)) || this.rules.get('*');
  }

  private dropTick(): void {
    const groups = new Map<LinkFaultSpec, Peer[]>();
    for (const p of this.peers()) {
      const r = this.ruleFor(p);
      if (!r || r.dropPerMinute === 0) continue;
      groups.set(r, [...(groups.get(r) ?? []), p]);
    }
    for (const [r, ps] of groups) {
      if (this.random() >= (r.dropPerMinute * DROP_TICK_MS) / 60_000) continue;
      const victim = ps[Math.floor(this.random() * ps.length)]!;
      this.log.info({ peer: victim.label }, 'link fault: dropping connection');
      victim.conn.drop('link-fault-drop');
    }
  }

  private clearTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
