/**
 * SeedList: the operator's seed URLs and when each may be dialled again. Seeds are the fallback while too
 * few peers are reachable from the address book, and back off after failures as address book entries do.
 * Invalid seed URLs are logged and ignored.
 * Imports peer-url and addr-policy; no I/O of its own.
 */
import { Log } from '../../log.js';
import { backoffMs } from './addr-policy.js';
import { parsePeerUrl } from './peer-url.js';

/** Seeds are retried after failures with the address book's backoff: 2 s doubling up to 10 min. */
const SEED_BACKOFF_BASE_MS = 2_000;
const SEED_BACKOFF_MAX_MS = 10 * 60_000;

interface SeedState {
  url: string;
  key: string;
  failures: number;
  lastAttempt: number;
}

export class SeedList {
  private readonly seeds: SeedState[] = [];

  constructor(
    urls: readonly string[],
    private readonly clock: () => number,
    log: Log,
  ) {
    for (const url of urls) {
      try {
        this.seeds.push({ url, key: parsePeerUrl(url).key, failures: 0, lastAttempt: 0 });
      } catch (e) {
        log.warn({ url, err: (e as Error).message }, 'ignoring invalid seed');
      }
    }
  }

  /**
   * Calls `dial` for up to `max` seeds, in order, that `skip` does not name (checked just before each, so a
   * dial started for one seed counts for the next) and that are not waiting out their backoff; each gets
   * its attempt stamped.
   */
  dialDue(max: number, skip: (key: string) => boolean, dial: (key: string, url: string) => void): void {
    const now = this.clock();
    let n = 0;
    for (const s of this.seeds) {
      if (n >= max) break;
      if (skip(s.key)) continue;
      if (s.failures > 0 && now < s.lastAttempt + backoffMs(s.failures, SEED_BACKOFF_BASE_MS, SEED_BACKOFF_MAX_MS)) continue;
      s.lastAttempt = now;
      dial(s.key, s.url);
      n++;
    }
  }

  /** A handshake with the seed at `key` completed: its backoff is reset. No-op for a non-seed. */
  succeeded(key: string): void {
    const seed = this.seeds.find((s) => s.key === key);
    if (seed) seed.failures = 0;
  }

  /** A dial or handshake with the seed at `key` failed. No-op for a non-seed. */
  failed(key: string): void {
    const seed = this.seeds.find((s) => s.key === key);
    if (seed) {
      seed.failures++;
      seed.lastAttempt = this.clock();
    }
  }
}
