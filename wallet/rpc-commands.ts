/**
 * The wallet's talk with the node beyond keys and transfers: the RPC client for a context, raw RPC
 * calls (`minichain-wallet rpc`), node refusals worded once, and why a transaction may not confirm.
 * Imports wallet/ only.
 */
import { WalletError } from './errors.js';
import { RpcClient, RpcError } from './rpc-client.js';
import type { WalletContext } from './commands.js';

/** A tip older than this on a non-mining node suggests nothing is mining. */
export const STALE_TIP_SEC = 30;

export function rpcClientFor(ctx: WalletContext): RpcClient {
  return new RpcClient(ctx.rpcUrl, { ...(ctx.rpcTimeoutMs === undefined ? {} : { timeoutMs: ctx.rpcTimeoutMs }), ...(ctx.rpcAuth === undefined ? {} : { auth: ctx.rpcAuth }) });
}

/**
 * `reason (detail)`, the reason once: the node's message is `transaction rejected: <reason> (<detail>)`
 * or just a message; the reason and any repeated prefix are taken out of it.
 */
export function reasonAndDetail(e: RpcError): string {
  const reason = e.reason ?? `code ${e.code}`;
  let detail = e.message.replace(/^transaction rejected:\s*/, '');
  if (e.reason && detail.startsWith(e.reason)) detail = detail.slice(e.reason.length).trim();
  detail = detail.replace(/^\((.*)\)$/, '$1').trim();
  return detail && detail !== reason ? `${reason} (${detail})` : reason;
}

export function nodeRefusal(e: RpcError, what: string, hint = ''): WalletError {
  return new WalletError('REJECTED', `${what}: ${reasonAndDetail(e)}${hint}`, { cause: e, ...(e.reason ? { reason: e.reason } : {}) });
}

/**
 * Any RPC method with parameters given as text, like `cast rpc` / `bitcoin-cli`: each parameter is
 * read as JSON when it parses (numbers, true, null, arrays, quoted strings), else taken as a string.
 * @throws WalletError REJECTED with the node's reason for an error answer
 */
export async function rawRpc(ctx: WalletContext, opts: { method: string; params: string[] }): Promise<unknown> {
  const params = opts.params.map((p) => {
    try {
      const v = JSON.parse(p) as unknown;
      // A long all-digit hash or amount must not lose digits as a JSON number: keep it as text.
      return typeof v === 'number' && !Number.isSafeInteger(v) && !/^-?\d+\.\d+$/.test(p.trim()) ? p : v;
    } catch {
      return p;
    }
  });
  try {
    return await rpcClientFor(ctx).call<unknown>(opts.method, params);
  } catch (e) {
    throw e instanceof RpcError ? nodeRefusal(e, `${opts.method} failed`, e.code === -32601 ? '; "rpc help" lists the methods' : '') : e;
  }
}

/**
 * Why a transaction may not confirm: undefined when the node mines, else a sentence with the age of
 * its last block. Best effort: an older node without these getInfo fields gives undefined.
 */
export async function miningHint(ctx: WalletContext): Promise<string | undefined> {
  let info: { mining?: unknown; lastBlockAgeSec?: unknown; height?: unknown };
  try {
    info = await rpcClientFor(ctx).call('getInfo');
  } catch {
    return undefined;
  }
  const { mining, lastBlockAgeSec: age, height } = info ?? {};
  if (mining !== false || typeof age !== 'number' || typeof height !== 'number') return undefined;
  if (height > 0 && age < STALE_TIP_SEC) return undefined; // another node mines: blocks keep coming
  const last = height === 0 ? 'it has only the genesis block' : `its last block is ${age} s old`;
  return `node ${ctx.rpcUrl} is not mining and ${last}: is any node mining? (start one with minichain-node --mine)`;
}
