/**
 * In-process P2P test network: each node has its own temp datadir, Chain, Mempool and P2PNode on
 * 127.0.0.1 port 0, composed as node/full-node.ts does (mempool follows chain 'tip' events). Every node
 * started here is stopped and its datadir removed by `stopAll()` (call it in `after`).
 *
 * Logs: silent unless MINICHAIN_TEST_LOG is set (to a pino level, e.g. "debug").
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../../node/chain/chain.js';
import { Mempool } from '../../node/chain/mempool.js';
import { Block, blockHash } from '../../node/core/block.js';
import { ChainParams } from '../../node/core/params.js';
import { Tx } from '../../node/core/tx.js';
import { isValidPrivateKey, publicKeyOf } from '../../node/core/keys.js';
import { PROTOCOL_VERSION, signHelloProof, verifyHelloProof } from '../../node/p2p/protocol/handshake.js';
import { HelloMessage, Message, decodeMessage, encodeMessage } from '../../node/p2p/protocol/messages.js';
import { WebSocket } from 'ws';
import { Log, silentLog } from '../../node/log.js';
import { createLogger } from '../../node/logger.js';
import { loadOrCreateNodeKey } from '../../node/p2p/peers/node-key.js';
import { P2PNode, P2PNodeOptions } from '../../node/p2p/p2p-node.js';
import { makeBlock, testParams } from './chain-fixtures.js';
import { waitFor } from './wait-for.js';
import { socketObserved } from './raw-peer.js';
import { openChainState } from '../../node/chain-state.js';
import { BatchSignatureVerifier } from '../../node/chain/sig-check.js';

export interface TestNode {
  name: string;
  datadir: string;
  chain: Chain;
  mempool: Mempool;
  p2p: P2PNode;
  url: string;
  nodeId: string;
  /** Stops P2P and closes the chain; the datadir is kept (restart with the same datadir). */
  stop(): Promise<void>;
  readonly stopped: boolean;
}

export interface TestNodeOptions extends Partial<Omit<P2PNodeOptions, 'chain' | 'mempool' | 'nodeKey' | 'datadir'>> {
  name?: string;
  params?: ChainParams;
  /** Reuse a datadir (restart); default: a fresh temp dir. */
  datadir?: string;
  /** Signature worker pool as in production (block and batched admission checks); inline when omitted. */
  verifier?: BatchSignatureVerifier;
}

const nodes: TestNode[] = [];
const dirs = new Set<string>();
let counter = 0;

function testLog(name: string): Log {
  const level = process.env.MINICHAIN_TEST_LOG;
  if (!level) return silentLog;
  return createLogger(level, { pretty: false, base: { node: name } });
}

/** Starts a node; defaults: seeds [], refresh every 400 ms, getdata timeout 10 s, test genesis. */
export async function startTestNode(opts: TestNodeOptions = {}): Promise<TestNode> {
  const name = opts.name ?? `n${counter++}`;
  const datadir = opts.datadir ?? (await mkdtemp(join(tmpdir(), `minichain-p2p-${name}-`)));
  dirs.add(datadir);
  const params = opts.params ?? testParams();
  const log = opts.log ?? testLog(name);
  const state = await openChainState({ dir: join(datadir, 'chain'), params, log, sigCacheSize: 10_000, ...(opts.verifier ? { verifier: opts.verifier } : {}) });
  const { chain, mempool } = state;
  const nodeKey = await loadOrCreateNodeKey(datadir);
  const { name: _n, params: _p, datadir: _d, verifier: _v, ...p2pOpts } = opts;
  const p2p = new P2PNode({
    host: '127.0.0.1',
    port: 0,
    seeds: [],
    refreshIntervalMs: 400,
    // Generous, so that a loaded test machine never turns a slow answer into a second fetch.
    fetchTimeoutMs: 10_000,
    ...p2pOpts,
    chain,
    mempool,
    nodeKey,
    datadir,
    log: log.child({ mod: 'p2p' }),
  });
  try {
    await p2p.start();
  } catch (e) {
    await state.close();
    throw e;
  }
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const node: TestNode = {
    name,
    datadir,
    chain,
    mempool,
    p2p,
    url: p2p.url,
    nodeId: nodeKey.nodeId,
    stop() {
      stopping ??= (async () => {
        await p2p.stop();
        await state.close();
        stopped = true;
      })();
      return stopping;
    },
    get stopped() {
      return stopped;
    },
  };
  nodes.push(node);
  return node;
}

/** Stops every node started by this harness and removes their datadirs. */
export async function stopAll(): Promise<void> {
  closeRawPeers();
  await Promise.all(nodes.map((n) => n.stop()));
  nodes.length = 0;
  await Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}

/** Makes `count` blocks on the node's current tip (with `txs` in the first) and accepts them locally. */
export async function mineOn(node: TestNode, count: number, txs: Tx[] = [], miner?: Uint8Array): Promise<Block[]> {
  const out: Block[] = [];
  for (let i = 0; i < count; i++) {
    const tip = node.chain.tip;
    const b = makeBlock(node.chain.params, { hash: tip.hash, height: tip.height, timestamp: tip.timestamp }, i === 0 ? txs : [], miner ? { miner } : {});
    const r = await node.chain.acceptBlock(b);
    if (!r.ok) throw new Error(`${node.name}: own block refused: ${r.reason}`);
    out.push(b);
  }
  return out;
}

/** waitFor, with the network's state (`describe`) at the time of a timeout added to the error. */
export async function waitForNet(predicate: () => boolean, timeoutMs: number, what: string, describe: () => string): Promise<void> {
  try {
    await waitFor(predicate, timeoutMs, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}; state: ${describe()}`);
  }
}

export function describeNet(list: TestNode[]): string {
  return list.map((n) => `${n.name}@${n.chain.height}/${n.chain.tip.hashHex.slice(0, 8)} peers=${n.p2p.peers().length}`).join(', ');
}

/** Waits until every node's tip is `hashHex`. */
export async function waitForTip(list: TestNode[], hashHex: string, timeoutMs = 20_000, what = 'tip'): Promise<void> {
  await waitForNet(() => list.every((n) => n.chain.tip.hashHex === hashHex), timeoutMs, `${what} ${hashHex.slice(0, 8)} everywhere`, () => describeNet(list));
}

/** Waits until every node has at least `min` established peers. */
export async function waitForPeers(list: TestNode[], min: number, timeoutMs = 20_000): Promise<void> {
  await waitForNet(() => list.every((n) => n.p2p.peers().length >= min), timeoutMs, `every node with >= ${min} peers`, () => describeNet(list));
}

export function hashHexOf(b: Block): string {
  return Buffer.from(blockHash(b.header)).toString('hex');
}

// ---- a scripted raw peer: speaks the wire protocol directly over ws, to test the node from outside ----

export interface RawPeer {
  ws: WebSocket;
  /** Every message received, in order (undecodable frames are recorded as { type: 'undecodable' }). */
  received: (Message | { type: 'undecodable' })[];
  /** The node's hello (after the handshake, or undefined if it never came). */
  theirHello: HelloMessage | undefined;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  send(m: Message): void;
  sendBytes(b: Uint8Array): void;
  /** Resolves with the first received message of `type` not yet returned by next(). */
  next<T extends Message['type']>(type: T, timeoutMs?: number): Promise<Extract<Message, { type: T }>>;
  close(): void;
}

export interface RawPeerOptions {
  params?: ChainParams;
  /** Our identity (default: a fresh random key). */
  privateKey?: Uint8Array;
  /** Send a complete, valid handshake and wait until the node's proof verified (default true). */
  handshake?: boolean;
  hello?: Partial<HelloMessage>;
  timeoutMs?: number;
}

const rawPeers: WebSocket[] = [];

/** Opens a raw ws connection to a node and (by default) completes the documented handshake. */
export async function rawPeer(url: string, opts: RawPeerOptions = {}): Promise<RawPeer> {
  const params = opts.params ?? testParams();
  let privateKey = opts.privateKey;
  while (!privateKey || !isValidPrivateKey(privateKey)) privateKey = new Uint8Array(randomBytes(32));
  const nodeId = publicKeyOf(privateKey);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  rawPeers.push(ws);
  const received: RawPeer['received'] = [];
  const waiters: (() => void)[] = [];
  let isClosed = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      isClosed = true;
      resolve({ code, reason: reason.toString() });
      for (const w of waiters.splice(0)) w();
    }),
  );
  ws.on('error', () => undefined); // surfaced through 'close'
  ws.on('message', (data: Buffer) => {
    try {
      received.push(decodeMessage(new Uint8Array(data)));
    } catch {
      received.push({ type: 'undecodable' });
    }
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const seen = new Set<number>();
  const peer: RawPeer = {
    ws,
    received,
    theirHello: undefined,
    closed,
    isClosed: () => isClosed,
    send: (m) => ws.send(encodeMessage(m)),
    sendBytes: (b) => ws.send(b),
    close: () => ws.terminate(),
    async next(type, timeoutMs = opts.timeoutMs ?? 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = received.findIndex((m, j) => !seen.has(j) && m.type === type);
        if (i >= 0) {
          seen.add(i);
          return received[i] as never;
        }
        if (isClosed) throw new Error(`connection closed while waiting for ${type}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${type}; got ${received.map((m) => m.type).join(',')}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
  if (opts.handshake === false) return peer;
  const challenge = new Uint8Array(randomBytes(32));
  const hello: HelloMessage = {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    chainId: params.chainId,
    genesisHash: params.genesisHash,
    nodeId,
    challenge,
    listenPort: 0,
    bestHeight: 0,
    bestWork: 0n,
    bestHash: params.genesisHash,
    userAgent: 'raw-test-peer',
    timestamp: Date.now(),
    ...socketObserved(ws),
    ...opts.hello,
  };
  peer.send(hello);
  const theirs = await peer.next('hello');
  peer.theirHello = theirs;
  peer.send({ type: 'helloProof', signature: signHelloProof(hello, theirs, true, { genesisHash: hello.genesisHash, privateKey }) });
  const proof = await peer.next('helloProof');
  if (!verifyHelloProof(proof.signature, hello, theirs, true, hello.genesisHash)) throw new Error('node sent an invalid proof');
  return peer;
}

/** Terminates every raw peer opened by this harness (call in `after`, before stopAll). */
export function closeRawPeers(): void {
  for (const ws of rawPeers.splice(0)) ws.terminate();
}
