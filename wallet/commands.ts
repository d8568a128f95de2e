/**
 * The wallet's commands as plain async functions: options in, data out, typed errors thrown.
 * No printing and no process access (env, argv, exit) here, so every command is testable without
 * commander. Node answers are checked against the JSON-RPC contract before use.
 * Imports node/core and wallet/ only.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeAddress } from '../node/core/address.js';
import { formatAmount } from '../node/core/amount.js';
import { fromHex } from '../node/core/bytes.js';
import { isValidPrivateKey } from '../node/core/keys.js';
import { buildTransfer, parseTransferAmounts } from './build-tx.js';
import { WalletError } from './errors.js';
import { KeyInfo, Keystore, isValidKeyName } from './keystore.js';
import { PasswordSource } from './password.js';
import { RpcClient, RpcError } from './rpc-client.js';
import { miningHint, nodeRefusal, reasonAndDetail, rpcClientFor } from './rpc-commands.js';

export { rawRpc, miningHint, reasonAndDetail } from './rpc-commands.js';

export interface WalletContext {
  walletDir: string;
  rpcUrl: string;
  password: PasswordSource;
  /** scrypt cost for new keys; the production default when absent. */
  scryptN?: number;
  rpcTimeoutMs?: number;
  /** `user:password` for a node that requires authentication (the contents of its .cookie file). */
  rpcAuth?: string;
}

export interface BalanceView {
  address: string;
  /** Base units, decimal string. */
  balance: string;
  /** The same balance in coins, e.g. "1.5". */
  balanceCoins: string;
  nonce: string;
  pendingNonce: string;
}

export interface SendResult {
  id: string;
  from: string;
  to: string;
  /** Base units, decimal strings. */
  amount: string;
  fee: string;
  nonce: string;
  chainId: number;
}

export interface TxView {
  id: string;
  status: 'pending' | 'confirmed';
  height?: number;
  blockHash?: string;
  confirmations?: number;
  tx: { from: string; to: string; amount: string; fee: string; nonce: string };
}

export interface HistoryEntry {
  id: string;
  height: number;
  from: string;
  to: string;
  amount: string;
  fee: string;
  nonce: string;
  blockHash?: string;
  confirmations?: number;
}

export const DEFAULT_WAIT_MS = 60_000;
export const DEFAULT_POLL_MS = 1_000;
export const MAX_HISTORY_LIMIT = 1000;

function keystore(ctx: WalletContext): Keystore {
  return new Keystore(ctx.walletDir, ctx.scryptN === undefined ? {} : { scryptN: ctx.scryptN });
}

const client = rpcClientFor;

async function newPassword(ctx: WalletContext, name: string): Promise<string> {
  const pw = await ctx.password({ prompt: `new password for "${name}": `, confirm: true });
  if (pw.length === 0) throw new WalletError('INVALID_INPUT', 'password must not be empty');
  return pw;
}

/** Generates a key, encrypts it and stores it. */
export async function createKey(ctx: WalletContext, opts: { name?: string } = {}): Promise<KeyInfo> {
  const ks = keystore(ctx);
  const name = opts.name ?? (await ks.nextName());
  let key: Uint8Array;
  do key = new Uint8Array(randomBytes(32));
  while (!isValidPrivateKey(key));
  const password = await newPassword(ctx, name);
  return ks.add(key, password, name);
}

/**
 * Stores an existing private key (64 hex characters, optional 0x). The key is never echoed in errors.
 * @throws WalletError INVALID_INPUT for a malformed key
 */
export async function importKey(ctx: WalletContext, opts: { privateKeyHex: string; name?: string }): Promise<KeyInfo> {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(opts.privateKeyHex.trim()))
    throw new WalletError('INVALID_INPUT', 'invalid private key: expected 64 hex characters');
  const key = fromHex(opts.privateKeyHex.trim());
  if (!isValidPrivateKey(key)) throw new WalletError('INVALID_INPUT', 'invalid private key: not a valid secp256k1 secret');
  const ks = keystore(ctx);
  const name = opts.name ?? (await ks.nextName());
  const password = await newPassword(ctx, name);
  return ks.add(key, password, name);
}

export async function listKeys(ctx: WalletContext): Promise<KeyInfo[]> {
  return keystore(ctx).list();
}

/** The key called `name`, or the default key. */
export async function showAddress(ctx: WalletContext, opts: { name?: string } = {}): Promise<KeyInfo> {
  return keystore(ctx).resolve(opts.name);
}

/** A key of this wallet by name or by address; the default key when `which` is absent. */
async function resolveOwnKey(ks: Keystore, which?: string): Promise<KeyInfo> {
  if (which === undefined || isValidKeyName(which)) return ks.resolve(which);
  decodeAddress(which);
  const k = (await ks.list()).find((x) => x.address === which);
  if (!k) throw new WalletError('NOT_FOUND', `address ${which} is not in this wallet`);
  return k;
}

/** An address argument: a key name of this wallet, else a checksummed address; absent -> the default key. */
async function resolveAddress(ctx: WalletContext, arg?: string): Promise<string> {
  const ks = keystore(ctx);
  if (arg === undefined) return (await ks.resolve()).address;
  if (isValidKeyName(arg)) {
    const keys = await ks.list();
    const k = keys.find((x) => x.name === arg);
    if (k) return k.address;
    // A key name that is not in this wallet (and no address): say so, not "bad address".
    if (!looksLikeAddress(arg))
      throw new WalletError('NOT_FOUND', `no key named "${arg}" in ${ctx.walletDir}${keys.length ? ` (keys: ${keys.map((x) => x.name).join(', ')})` : ''}, and it is not an address`);
  }
  decodeAddress(arg);
  return arg;
}

export async function getBalance(ctx: WalletContext, opts: { address?: string } = {}): Promise<BalanceView> {
  const address = await resolveAddress(ctx, opts.address);
  const acct = await fetchAccount(client(ctx), address);
  return {
    address,
    balance: acct.balance.toString(),
    balanceCoins: formatAmount(acct.balance),
    nonce: acct.nonce.toString(),
    pendingNonce: acct.pendingNonce.toString(),
  };
}

/**
 * Builds, signs and submits a transfer; returns once the node accepted it into its mempool.
 * Order: all input checks first (nothing is asked or sent for a typo), then the password, then the
 * nonce and balance are read from the node right before signing, so the nonce is as fresh as it can be.
 * @throws NodeError INVALID_ARGUMENT (address checksum, amount), WalletError WRONG_PASSWORD,
 *   NODE_UNREACHABLE, INSUFFICIENT_FUNDS (local check or the node's reason), REJECTED
 */
export async function send(
  ctx: WalletContext,
  opts: { to: string; amount: string; fee?: string; from?: string },
): Promise<SendResult> {
  const { amount, fee } = parseTransferAmounts(opts.amount, opts.fee);
  decodeAddress(opts.to);
  const rpc = client(ctx);
  const ks = keystore(ctx);
  const key = await resolveOwnKey(ks, opts.from);
  const password = await ctx.password({ prompt: `password for "${key.name}": ` });
  const privateKey = await ks.unlock(key.name, password);
  try {
    const chainId = await fetchChainId(rpc);
    const acct = await fetchAccount(rpc, key.address);
    if (acct.balance < amount + fee)
      throw new WalletError(
        'INSUFFICIENT_FUNDS',
        `insufficient funds: ${key.address} has ${formatAmount(acct.balance)} coins, needs ${formatAmount(amount + fee)} coins (amount ${formatAmount(amount)} + fee ${formatAmount(fee)})`,
      );
    const signed = buildTransfer({ chainId, privateKey, to: opts.to, amount, fee, nonce: acct.pendingNonce });
    let res: { id?: unknown };
    try {
      res = await rpc.call<{ id?: unknown }>('sendTransaction', [signed.hex]);
    } catch (e) {
      throw mapRejection(e);
    }
    if (typeof res?.id !== 'string' || res.id.toLowerCase() !== signed.id)
      throw badResponse(rpc, `sendTransaction returned id ${String(res?.id)}, expected ${signed.id}`);
    return { id: signed.id, from: key.address, to: opts.to, amount: amount.toString(), fee: fee.toString(), nonce: acct.pendingNonce.toString(), chainId };
  } finally {
    privateKey.fill(0);
  }
}

/** Bech32m addresses start with the human-readable part and "1" (mc1…). */
function looksLikeAddress(s: string): boolean {
  return /^[a-z]{1,10}1[02-9ac-hj-np-z]{6,}$/i.test(s);
}

function mapRejection(e: unknown): unknown {
  if (!(e instanceof RpcError)) return e;
  if (e.reason === 'insufficient-balance')
    return new WalletError('INSUFFICIENT_FUNDS', `insufficient funds: node rejected the transaction: ${reasonAndDetail(e)}`, { cause: e, reason: e.reason });
  const hint = e.reason === 'tx-fee-too-low' || e.reason === 'txn-replacement-fee-too-low' ? '; pass a higher --fee (in coins)' : '';
  return nodeRefusal(e, 'node rejected the transaction', hint);
}





/**
 * Looks a transaction up by id.
 * @throws WalletError INVALID_INPUT for a malformed id, NOT_FOUND when the node does not know it
 */
export async function getTx(ctx: WalletContext, opts: { id: string }): Promise<TxView> {
  const id = parseTxId(opts.id);
  return fetchTx(client(ctx), id);
}

/**
 * Polls getTransaction until the transaction is confirmed or `timeoutMs` passes.
 * @throws WalletError WAIT_TIMEOUT (it may still confirm later), NOT_FOUND when the node dropped it
 */
export async function waitForConfirmation(
  ctx: WalletContext,
  opts: { id: string; timeoutMs?: number; pollMs?: number; onProgress?: (line: string) => void },
): Promise<TxView> {
  const id = parseTxId(opts.id);
  const rpc = client(ctx);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const start = Date.now();
  let hinted = false;
  for (;;) {
    let view: TxView;
    try {
      view = await fetchTx(rpc, id);
    } catch (e) {
      if (e instanceof WalletError && e.code === 'NOT_FOUND')
        throw new WalletError('NOT_FOUND', `transaction ${id} is no longer known to the node (dropped from its mempool?)`, { cause: e });
      throw e;
    }
    if (view.status === 'confirmed') return view;
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      const hint = await miningHint(ctx);
      throw new WalletError('WAIT_TIMEOUT', `transaction ${id} still pending after ${Math.round(timeoutMs / 1000)} s; it may confirm later${hint ? `; ${hint}` : ''}`);
    }
    if (!hinted && elapsed >= 3000 && opts.onProgress) {
      hinted = true;
      const hint = await miningHint(ctx);
      if (hint) opts.onProgress(hint);
    }
    opts.onProgress?.(`waiting for confirmation of ${id} (${Math.floor(elapsed / 1000)} s)`);
    await sleep(Math.min(pollMs, timeoutMs - elapsed));
  }
}

export async function getHistory(ctx: WalletContext, opts: { address?: string; limit?: number | string } = {}): Promise<HistoryEntry[]> {
  const address = await resolveAddress(ctx, opts.address);
  const params: unknown[] = [address];
  if (opts.limit !== undefined) params.push(parseLimit(opts.limit));
  const rpc = client(ctx);
  let res: unknown;
  try {
    res = await rpc.call<unknown>('getHistory', params);
  } catch (e) {
    throw e instanceof RpcError ? nodeRefusal(e, 'node refused getHistory') : e;
  }
  if (!Array.isArray(res)) throw badResponse(rpc, 'getHistory did not return an array');
  return res.map((r: Record<string, unknown>) => ({
    id: str(rpc, r?.id, 'id'),
    height: int(rpc, r?.height, 'height'),
    from: str(rpc, r?.from, 'from'),
    to: str(rpc, r?.to, 'to'),
    amount: decimal(rpc, r?.amount, 'amount').toString(),
    fee: decimal(rpc, r?.fee, 'fee').toString(),
    nonce: decimal(rpc, r?.nonce, 'nonce').toString(),
    ...(r?.blockHash === undefined ? {} : { blockHash: str(rpc, r.blockHash, 'blockHash') }),
    ...(r?.confirmations === undefined ? {} : { confirmations: int(rpc, r.confirmations, 'confirmations') }),
  }));
}

function parseTxId(text: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new WalletError('INVALID_INPUT', `invalid transaction id "${text}": expected 64 hex characters`);
  return text.toLowerCase();
}

function parseLimit(v: number | string): number {
  const n = typeof v === 'number' ? v : /^\d{1,7}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_HISTORY_LIMIT)
    throw new WalletError('INVALID_INPUT', `invalid limit "${v}": expected an integer from 1 to ${MAX_HISTORY_LIMIT}`);
  return n;
}

// --- node answers, checked against the RPC contract ----------------------------------------------

interface AccountState {
  balance: bigint;
  nonce: bigint;
  pendingNonce: bigint;
}

async function fetchChainId(rpc: RpcClient): Promise<number> {
  let info: { chainId?: unknown };
  try {
    info = await rpc.call<{ chainId?: unknown }>('getInfo');
  } catch (e) {
    throw e instanceof RpcError ? nodeRefusal(e, 'node refused getInfo') : e;
  }
  const chainId = info?.chainId;
  if (typeof chainId !== 'number' || !Number.isInteger(chainId) || chainId < 0 || chainId > 0xffffffff)
    throw badResponse(rpc, 'getInfo has no valid chainId');
  return chainId;
}

async function fetchAccount(rpc: RpcClient, address: string): Promise<AccountState> {
  let a: Record<string, unknown>;
  try {
    a = await rpc.call<Record<string, unknown>>('getAccount', [address]);
  } catch (e) {
    throw e instanceof RpcError ? nodeRefusal(e, 'node refused getAccount') : e;
  }
  return {
    balance: decimal(rpc, a?.balance, 'balance'),
    nonce: decimal(rpc, a?.nonce, 'nonce'),
    pendingNonce: decimal(rpc, a?.pendingNonce, 'pendingNonce'),
  };
}

async function fetchTx(rpc: RpcClient, id: string): Promise<TxView> {
  let r: Record<string, unknown>;
  try {
    r = await rpc.call<Record<string, unknown>>('getTransaction', [id]);
  } catch (e) {
    if (e instanceof RpcError && e.reason === 'tx-not-found')
      throw new WalletError('NOT_FOUND', `unknown transaction ${id}`, { cause: e, reason: e.reason });
    throw e instanceof RpcError ? nodeRefusal(e, 'node refused getTransaction') : e;
  }
  if (r?.status !== 'pending' && r?.status !== 'confirmed') throw badResponse(rpc, 'getTransaction has no valid status');
  const t = (r.tx ?? {}) as Record<string, unknown>;
  const view: TxView = {
    id: str(rpc, r.id, 'id'),
    status: r.status,
    tx: {
      from: str(rpc, t.from, 'tx.from'),
      to: str(rpc, t.to, 'tx.to'),
      amount: decimal(rpc, t.amount, 'tx.amount').toString(),
      fee: decimal(rpc, t.fee, 'tx.fee').toString(),
      nonce: decimal(rpc, t.nonce, 'tx.nonce').toString(),
    },
  };
  if (r.height !== undefined) view.height = int(rpc, r.height, 'height');
  if (r.blockHash !== undefined) view.blockHash = str(rpc, r.blockHash, 'blockHash');
  if (r.confirmations !== undefined) view.confirmations = int(rpc, r.confirmations, 'confirmations');
  return view;
}

function badResponse(rpc: RpcClient, detail: string): WalletError {
  return rpc.badResponse(detail);
}

/** A base-unit or nonce field: a decimal string per the contract (a safe JSON integer is tolerated). */
function decimal(rpc: RpcClient, v: unknown, what: string): bigint {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw badResponse(rpc, `"${what}" is not a decimal string`);
}

function int(rpc: RpcClient, v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  throw badResponse(rpc, `"${what}" is not an integer`);
}

function str(rpc: RpcClient, v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw badResponse(rpc, `"${what}" is not a string`);
}
