/**
 * PingTracker: one peer's liveness check. Each refresh tick sends a ping when none is outstanding, else
 * counts a missed tick; the pong carrying the outstanding nonce gives the round-trip latency.
 * Pure apart from the injected clock and randomness. No imports.
 */
export class PingTracker {
  private ping: { nonce: bigint; sentAt: number; ticks: number } | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly randomBytes: (n: number) => Uint8Array,
  ) {}

  /**
   * One refresh tick: calls `sendPing` with a fresh nonce when no ping is outstanding, else counts a
   * missed tick. Returns false once `maxMissed` ticks passed without the pong.
   */
  tick(maxMissed: number, sendPing: (nonce: bigint) => void): boolean {
    if (this.ping) {
      this.ping.ticks++;
      return this.ping.ticks < maxMissed;
    }
    const nonce = bytesToU64(this.randomBytes(8));
    this.ping = { nonce, sentAt: this.clock(), ticks: 0 };
    sendPing(nonce);
    return true;
  }

  /** The latency in ms when `nonce` answers our outstanding ping (which it then clears), else undefined. */
  pong(nonce: bigint): number | undefined {
    if (!this.ping || this.ping.nonce !== nonce) return undefined;
    const latencyMs = Math.max(0, this.clock() - this.ping.sentAt);
    this.ping = undefined;
    return latencyMs;
  }

  /** Forgets the outstanding ping (the connection closed). */
  clear(): void {
    this.ping = undefined;
  }
}

function bytesToU64(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[i] ?? 0);
  return v;
}
