/**
 * A peer's bodies in validation at the same time (handlers/bodies.ts: relayed txs, requested blocks), at
 * most `max` each: `add` returns at once below the cap, else when one of them finishes, so the peer's
 * receive queue (and so the peer) waits instead of piling up work. Weakly keyed: a gone peer costs nothing.
 */
import { Peer } from './peer.js';

export class JobsPerPeer {
  private readonly running = new WeakMap<Peer, Set<Promise<void>>>();
  constructor(private readonly max: number) {}

  async add(peer: Peer, job: Promise<void>): Promise<void> {
    let set = this.running.get(peer);
    if (!set) this.running.set(peer, (set = new Set()));
    const jobs = set;
    jobs.add(job);
    void job.then(() => jobs.delete(job));
    if (jobs.size >= this.max) await Promise.race(jobs);
  }
}
