/**
 * RPC methods: name -> handler, parameters checked, results formatted. Everything a method needs
 * arrives through RpcContext, so this module knows nothing of sockets or processes.
 */
import { Chain } from '../chain/chain.js';
import { Mempool } from '../chain/mempool.js';
import { decodeAddress, encodeAddress } from '../core/address.js';
import { fromHex, toHex } from '../core/bytes.js';
import { decodeTx, Tx, txSender } from '../core/tx.js';
import { Verdict } from '../core/verdict.js';
import { InfoJson, blockToJson, txToJson } from './format.js';
import { RPC_REJECTED, RpcError, invalidParams, notFound } from './errors.js';
import { METHOD_HELP } from './help.js';
import { RpcHandler, queuedMethod } from './server.js';
import { FaultOps, OperatorOps, addOperatorMethods } from './operator-methods.js';

export interface PeerSummary {
  nodeId: string;
  address: string;
  direction: 'inbound' | 'outbound';
  latencyMs: number | null;
  height: number;
}

export interface RpcContext {
  chain: Chain;
  mempool: Mempool;
  nodeId: string;
  version: string;
  peers(): PeerSummary[];
  syncing(): boolean;
  /** Headers-first sync progress (issue #7): download rate and ETA to the best header. */
  syncProgress?(): { blocksPerSec: number; etaSec: number | null };
  /** Admits to the mempool and relays to peers. `wire`: the bytes `tx` was decoded from. */
  submitTx(tx: Tx, wire?: Uint8Array): Promise<Verdict<{ idHex: string }>>;
  /** Is this node's miner running? (absent: not a mining node) */
  mining?(): boolean;
  /** Wall clock in ms, for the tip's age (Date.now when absent). */
  now?(): number;
  /** Operator RPCs (addPeer, setBan, generate, ...), see operator-methods.ts. */
  ops?: OperatorOps;
  /** Test-only controls; undefined unless the node runs with --allow-faults (the methods then refuse). */
  faults?: FaultOps;
}

const MAX_HISTORY = 1000;

function addressParam(v: unknown, name = 'address'): Uint8Array {
  if (typeof v !== 'string') throw invalidParams('bad-address', `"${name}" must be a string`);
  try {
    return decodeAddress(v);
  } catch (e) {
    throw invalidParams('bad-address', (e as Error).message);
  }
}

function hashParam(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(v)) throw invalidParams('bad-hash', `"${name}" must be a 32-byte hex string`);
  return fromHex(v);
}

/**
 * The bytes of a hex string (an optional 0x first), as fromHex gives them, decoded natively (Buffer) into
 * a plain Uint8Array view; undefined when it holds anything but hex digits. Buffer stops decoding at the
 * first non-hex pair, so a short result is how a bad digit shows. An odd number of digits throws
 * fromHex's own DECODE_ERROR.
 */
function hexToBytes(hex: string): Uint8Array | undefined {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  const b = Buffer.from(h, 'hex');
  if (b.length !== h.length >> 1 || (h.length % 2 === 1 && !isHexDigit(h.charCodeAt(h.length - 1)))) return undefined;
  if (h.length % 2 === 1) return fromHex(hex);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function makeMethods(ctx: RpcContext): Map<string, RpcHandler> {
  const { chain, mempool } = ctx;
  const m = new Map<string, RpcHandler>();

  m.set('getInfo', (): InfoJson => ({
    chainId: chain.params.chainId,
    network: chain.params.name,
    genesisHash: toHex(chain.params.genesisHash),
    height: chain.height,
    tip: chain.tip.hashHex,
    work: chain.tip.work.toString(),
    peers: ctx.peers().length,
    mempool: mempool.size,
    nodeId: ctx.nodeId,
    version: ctx.version,
    syncing: ctx.syncing(),
    mining: ctx.mining?.() ?? false,
    lastBlockTime: chain.tip.timestamp,
    lastBlockAgeSec: Math.max(0, Math.floor(((ctx.now?.() ?? Date.now()) - chain.tip.timestamp) / 1000)),
    // issue #7: headers-first sync progress
    headerHeight: Math.max(chain.height, chain.bestHeader.height),
    blocksPerSec: ctx.syncProgress?.().blocksPerSec ?? 0,
    etaSec: ctx.syncProgress?.().etaSec ?? 0,
  }));

  m.set('help', ([method]) => {
    // Only what this node serves (operator methods exist only where the node wires them).
    const served = METHOD_HELP.filter((x) => m.has(x.method));
    if (method === undefined || method === null) return served;
    const h = served.find((x) => x.method === method);
    if (!h) throw notFound('method-not-found', `no such method: ${String(method)}; call help without parameters for the list`);
    return h;
  });

  m.set('getBlockHash', ([height]) => {
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0) throw invalidParams('bad-height', '"height" must be a non-negative integer');
    const h = chain.mainHashAt(height);
    if (!h) throw notFound('block-not-found', `no block at height ${height}`);
    return toHex(h);
  });

  m.set('getBlock', async ([which]) => {
    let hash: Uint8Array | undefined;
    if (which === undefined || which === null) hash = chain.tip.hash;
    else if (typeof which === 'number') {
      if (!Number.isSafeInteger(which) || which < 0) throw invalidParams('bad-height', 'height must be a non-negative integer');
      hash = chain.mainHashAt(which);
    } else if (typeof which === 'string' && /^\d+$/.test(which) && which.length < 10) hash = chain.mainHashAt(Number(which));
    else hash = hashParam(which, 'hashOrHeight');
    const block = hash && (await chain.getBlock(hash));
    if (!hash || !block) throw notFound('block-not-found', `block not found: ${String(which)}`);
    const onMain = chain.isOnMainChain(hash);
    return { ...blockToJson(block, onMain ? chain.height - block.header.height + 1 : 0), mainChain: onMain };
  });

  m.set('getAccount', async ([address]) => {
    const a = addressParam(address);
    const acct = await chain.getAccount(a);
    return {
      address: encodeAddress(a),
      balance: acct.balance.toString(),
      nonce: acct.nonce.toString(),
      pendingNonce: mempool.pendingNonce(a, acct.nonce).toString(),
    };
  });

  // Queued: in a batch, every sendTransaction starts at once (see RpcHandler.queued).
  m.set('sendTransaction', queuedMethod(async ([hex]) => {
    let wire: Uint8Array | undefined;
    let tx: Tx | undefined;
    try {
      wire = typeof hex === 'string' ? hexToBytes(hex) : undefined;
      if (wire) tx = decodeTx(wire);
    } catch (e) {
      throw new RpcError(RPC_REJECTED, `transaction rejected: bad-tx-encoding (${(e as Error).message})`, { reason: 'bad-tx-encoding' });
    }
    if (wire === undefined || tx === undefined) throw invalidParams('bad-tx-encoding', '"hex" must be a hex string');
    const v = await ctx.submitTx(tx, wire);
    if (!v.ok) throw new RpcError(RPC_REJECTED, `transaction rejected: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`, { reason: v.reason });
    return { id: v.value.idHex };
  }));

  m.set('getTransaction', async ([id]) => {
    const hash = hashParam(id, 'id');
    const hex = toHex(hash);
    // The ledger first: right after a block connects, the mempool may not have dropped the tx yet.
    const loc = await chain.getTxLocation(hash);
    if (!loc) {
      const pending = mempool.get(hex);
      if (pending) return { id: hex, status: 'pending', tx: txToJson(pending, hash) };
      throw notFound('tx-not-found', `transaction not found: ${hex}`);
    }
    const block = await chain.getBlock(loc.blockHash);
    const tx = block?.txs[loc.position];
    if (!tx) throw new Error(`tx index points at a missing block ${toHex(loc.blockHash)}`);
    return {
      id: hex,
      status: 'confirmed',
      height: loc.height,
      blockHash: toHex(loc.blockHash),
      confirmations: chain.height - loc.height + 1,
      tx: txToJson(tx, hash),
    };
  });

  m.set('getHistory', async ([address, limit]) => {
    const a = addressParam(address);
    const n = limit === undefined ? 50 : limit;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_HISTORY) throw invalidParams('bad-limit', `"limit" must be an integer in 1..${MAX_HISTORY}`);
    const entries = await chain.getHistory(a, n);
    const out = [];
    // Entries often share a block: decode each block once per call.
    const blocks = new Map<number, Awaited<ReturnType<Chain['getBlock']>>>();
    for (const e of entries) {
      const hash = chain.mainHashAt(e.height);
      if (hash && !blocks.has(e.height)) blocks.set(e.height, await chain.getBlock(hash));
      const block = blocks.get(e.height);
      const tx = block?.txs[e.position];
      if (tx) out.push({ ...txToJson(tx, e.id), height: e.height, blockHash: toHex(hash!), confirmations: chain.height - e.height + 1 });
    }
    return out;
  });

  m.set('getPeers', () => ctx.peers());

  m.set('getMempool', () =>
    mempool.entries().map((e) => ({ ...txToJson(e.tx, e.id), from: encodeAddress(txSender(e.tx)) })),
  );

  if (ctx.ops) addOperatorMethods(m, ctx.ops, ctx.faults);

  return m;
}
