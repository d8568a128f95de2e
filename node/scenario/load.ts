/**
 * Steady transaction load for scenarios: transfers between the public dev accounts, each signed here
 * and submitted through a random live node at its pending nonce. Every accepted transaction is
 * recorded (who accepted it, when) so the invariant checks can account for it at the end.
 * At most one submission per sender is in flight, so the runner never races itself for a nonce.
 */
import { toHex } from '../core/bytes.js';
import { DevAccount } from '../core/dev-accounts.js';
import { encodeTx, signTx, txIdHex } from '../core/tx.js';
import { RpcError } from '../rpc/errors.js';
import { Cluster, ClusterNode } from './cluster.js';

export interface AcceptedTx {
  id: string;
  sender: string;
  nonce: string;
  node: number;
  at: number;
}

/** In-flight submissions allowed at once. */
const MAX_IN_FLIGHT = 16;
/** Cap on the accepted-transaction record (a long run at a high rate stops recording, and says so). */
export const MAX_TRACKED_TXS = 200_000;

export class LoadGenerator {
  readonly accepted = new Map<string, AcceptedTx>();
  readonly rejected = new Map<string, number>();
  untracked = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Set<number>();
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  startedAt = 0;
  activeMs = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly accounts: DevAccount[],
    private readonly chainId: number,
    private readonly minFee: bigint,
    private readonly random: () => number,
    private readonly maxTracked = MAX_TRACKED_TXS,
  ) {}

  /** Sets the rate; 0 stops. */
  setRate(txPerSec: number): void {
    this.pause();
    if (txPerSec <= 0) return;
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.fire(), Math.max(5, Math.round(1000 / txPerSec)));
  }

  /** Stops submitting and waits for the submissions in flight. */
  async stop(): Promise<void> {
    this.pause();
    await Promise.allSettled([...this.pending]);
  }

  private pause(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.activeMs += Date.now() - this.startedAt;
    }
  }

  private fire(): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    const live = this.cluster.live();
    const free = this.accounts.filter((a) => !this.busy.has(a.index));
    if (live.length === 0 || free.length === 0) return;
    const from = free[Math.floor(this.random() * free.length)]!;
    const to = this.accounts[Math.floor(this.random() * this.accounts.length)]!;
    const node = live[Math.floor(this.random() * live.length)]!;
    const amount = BigInt(1 + Math.floor(this.random() * 100_000));
    const p = this.submit(node, from, to, amount).finally(() => {
      this.busy.delete(from.index);
      this.inFlight--;
      this.pending.delete(p);
    });
    this.busy.add(from.index);
    this.inFlight++;
    this.pending.add(p);
  }

  /** One transfer now (the `send` step); resolves once the node answered. */
  sendOne(node: ClusterNode, fromIndex: number): Promise<void> {
    const from = this.accounts[fromIndex];
    if (!from) throw new Error(`send: no dev account ${fromIndex}`);
    return this.submit(node, from, this.accounts[(fromIndex + 1) % this.accounts.length]!, 1000n + BigInt(Math.floor(this.random() * 1_000_000)));
  }

  private async submit(node: ClusterNode, from: DevAccount, to: DevAccount, amount: bigint): Promise<void> {
    try {
      const acct = await this.cluster.rpc<{ pendingNonce: string }>(node, 'getAccount', [from.address], 5000);
      const nonce = BigInt(acct.pendingNonce);
      const tx = signTx({ chainId: this.chainId, from: from.publicKey, to: to.addressHash, amount, fee: this.minFee, nonce }, from.privateKey);
      const id = txIdHex(tx);
      await this.cluster.rpc(node, 'sendTransaction', [toHex(encodeTx(tx))], 5000);
      if (this.accepted.size >= this.maxTracked) this.untracked++;
      else this.accepted.set(id, { id, sender: from.address, nonce: nonce.toString(), node: node.index, at: Date.now() });
    } catch (e) {
      const reason = e instanceof RpcError ? (e.data?.reason ?? `rpc-${e.code}`) : 'node-unreachable';
      this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    }
  }
}
