/**
 * Account state as the rules see it: a synchronous view (the chain preloads every account a block
 * touches) and an overlay that records changes and the prior values needed for undo. Pure.
 */
import { toHex, fromHex } from './bytes.js';

export interface Account {
  balance: bigint;
  nonce: bigint;
}

export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ balance: 0n, nonce: 0n });

export interface StateView {
  /** The account at a 20-byte address hash; a never-seen address is EMPTY_ACCOUNT. */
  account(address: Uint8Array): Account;
  /** The same, when the caller already holds the hex key of `address` (saves hexing it again). */
  accountAt?(key: string, address: Uint8Array): Account;
}

/** A view over a map keyed by hex address hash (what the ledger store preloads). */
export class MapStateView implements StateView {
  constructor(private readonly accounts: ReadonlyMap<string, Account>) {}
  account(address: Uint8Array): Account {
    return this.accounts.get(toHex(address)) ?? EMPTY_ACCOUNT;
  }
  accountAt(key: string): Account {
    return this.accounts.get(key) ?? EMPTY_ACCOUNT;
  }
}

/** Copy-on-write layer: reads fall through to `base`, writes stay here until committed by the caller. */
export class StateOverlay implements StateView {
  private readonly changes = new Map<string, Account>();
  private readonly originals = new Map<string, Account>();
  /** The address bytes of every touched key, so writers need not parse hex back. */
  private readonly addresses = new Map<string, Uint8Array>();

  /**
   * Hex keys by address object: a block's rules ask for the same sender and recipient arrays several
   * times per tx, and a lookup by identity is cheaper than hexing 20 bytes again. Lives as long as the
   * overlay (one block, one admission); the addresses handed in are never modified.
   */
  private readonly keys: Map<Uint8Array, string>;

  /** `keys`: hex keys of address objects the caller already has (taken over, then extended). */
  constructor(
    private readonly base: StateView,
    keys?: Map<Uint8Array, string>,
  ) {
    this.keys = keys ?? new Map();
  }

  private keyOf(address: Uint8Array): string {
    let key = this.keys.get(address);
    if (key === undefined) {
      key = toHex(address);
      this.keys.set(address, key);
    }
    return key;
  }

  private baseAccount(key: string, address: Uint8Array): Account {
    return this.base.accountAt ? this.base.accountAt(key, address) : this.base.account(address);
  }

  account(address: Uint8Array): Account {
    return this.accountAt(this.keyOf(address), address);
  }

  accountAt(key: string, address: Uint8Array): Account {
    return this.changes.get(key) ?? this.baseAccount(key, address);
  }

  set(address: Uint8Array, account: Account): void {
    const key = this.keyOf(address);
    if (!this.originals.has(key)) {
      this.originals.set(key, this.baseAccount(key, address));
      this.addresses.set(key, address);
    }
    this.changes.set(key, { balance: account.balance, nonce: account.nonce });
  }

  /** The 20-byte address of a touched key (changed() / priorValues()); fromHex for any other. */
  addressOf(key: string): Uint8Array {
    return this.addresses.get(key) ?? fromHex(key);
  }

  /** New values of every touched account, keyed by hex address hash. */
  changed(): Map<string, Account> {
    return new Map(this.changes);
  }

  /** Values before this overlay of every touched account: the block's undo data. */
  priorValues(): Map<string, Account> {
    return new Map(this.originals);
  }
}

export function addressKey(address: Uint8Array): string {
  return toHex(address);
}

export function addressFromKey(key: string): Uint8Array {
  return fromHex(key);
}
