/**
 * The node's wall clock, with the test-only mock of Bitcoin Core's `setmocktime`. Outer ring: the pure
 * core never reads a clock; the chain and the miner receive `now` from here as a parameter.
 *
 * setMockTime(ms) moves the clock to `ms` and lets it keep ticking from there (an offset from the real
 * clock, so a skewed node keeps producing fresh timestamps); setMockTime(0) returns to real time.
 */
import { NodeError } from '../core/errors.js';

/** The largest skew a mock may introduce: ±10 years, so a typo cannot overflow timestamps. */
const MAX_OFFSET_MS = 10 * 365 * 24 * 3600 * 1000;

export class NodeClock {
  private offsetMs = 0;

  constructor(private readonly real: () => number = Date.now) {}

  /** ms since the epoch, mocked or real. */
  readonly now = (): number => this.real() + this.offsetMs;

  /** Current offset from the real clock, ms (0 when not mocked). */
  get offset(): number {
    return this.offsetMs;
  }

  /**
   * @param ms the new time (ms since the epoch), or 0 for real time
   * @throws NodeError INVALID_ARGUMENT for a negative or far-off time
   */
  setMockTime(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new NodeError('INVALID_ARGUMENT', `mock time must be a non-negative integer of ms, got ${ms}`);
    if (ms === 0) {
      this.offsetMs = 0;
      return;
    }
    const offset = ms - this.real();
    if (Math.abs(offset) > MAX_OFFSET_MS) throw new NodeError('INVALID_ARGUMENT', `mock time ${ms} is more than 10 years from the real clock`);
    this.offsetMs = offset;
  }
}
