/**
 * Fixed sample messages (one or more per wire type) and a JSON form for them, shared by the wire-message
 * unit test and test/vectors/p2p-messages.json. Every input is deterministic (dev keys, RFC 6979
 * signatures, patterned hashes), so the encodings never change unless the format does.
 */
import { devAccount } from '../../node/core/dev-accounts.js';
import { Block, computeMerkleRoot } from '../../node/core/block.js';
import { signTx } from '../../node/core/tx.js';
import { toHex } from '../../node/core/bytes.js';
import { HelloMessage, Message } from '../../node/p2p/protocol/messages.js';
import { PROTOCOL_VERSION, signHelloProof } from '../../node/p2p/protocol/handshake.js';
import { parseIp } from '../../node/p2p/peers/net-address.js';
import { makeCmpctBlock } from '../../node/p2p/protocol/compact.js';

export const A = devAccount(0);
export const B = devAccount(1);
export const COIN = 100_000_000n;
export const CHAIN_ID = 4242;

/** 32 bytes of one value: easy to spot in a hex dump. */
export function filled(byte: number, len = 32): Uint8Array {
  return new Uint8Array(len).fill(byte);
}

export const GENESIS = filled(0x11);
export const CHALLENGE_A = filled(0x22);
export const TX_HASH = filled(0x44);
/** B's challenge in the handshake vector. */
export const CHALLENGE_B = filled(0x66);
export const BLOCK_HASH = filled(0x55);

export const sampleTx = signTx(
  { chainId: CHAIN_ID, from: A.publicKey, to: B.addressHash, amount: 5n * COIN, fee: 1000n, nonce: 0n },
  A.privateKey,
);

function sampleBlock(): Block {
  const body = { miner: devAccount(7).addressHash, reward: 50n * COIN, txs: [sampleTx] };
  return {
    header: {
      version: 1,
      height: 1,
      prevHash: GENESIS,
      merkleRoot: computeMerkleRoot({ ...body, header: { height: 1 } }).root,
      timestamp: 1_700_000_001_000,
      bits: 0x207fffff,
      nonce: 7n,
    },
    ...body,
  };
}

/** A's hello (the dialer in the handshake vector). */
export function helloA(): HelloMessage {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    chainId: CHAIN_ID,
    genesisHash: GENESIS,
    nodeId: A.publicKey,
    challenge: CHALLENGE_A,
    listenPort: 9001,
    bestHeight: 12,
    bestWork: 0x1a2b3c4d5e6fn,
    bestHash: filled(0x33),
    userAgent: 'minichain/0.1.0',
    timestamp: 1_700_000_000_000,
    // A dialled B at 127.0.0.1:9002.
    observedIp: parseIp('127.0.0.1')!,
    observedPort: 9002,
  };
}

/** B's hello in the handshake vector: B listens on 127.0.0.1:9002 and sees A's socket at 127.0.0.1:40000. */
export function helloB(): HelloMessage {
  return {
    ...helloA(),
    nodeId: B.publicKey,
    challenge: CHALLENGE_B,
    listenPort: 9002,
    observedIp: parseIp('127.0.0.1')!,
    observedPort: 40000,
  };
}

/** name -> message; names are the vector names in p2p-messages.json. */
export function sampleMessages(): [string, Message][] {
  return [
    ['hello', helloA()],
    [
      'helloProof',
      // B (the listener) answers A's hello: B signs the transcript of both hellos in the listener role.
      { type: 'helloProof', signature: signHelloProof(helloB(), helloA(), false, { genesisHash: GENESIS, privateKey: B.privateKey }) },
    ],
    ['ping', { type: 'ping', nonce: 0x0102030405060708n }],
    ['pong', { type: 'pong', nonce: 0x0102030405060708n }],
    ['getaddr', { type: 'getaddr' }],
    [
      'addr',
      {
        type: 'addr',
        addrs: [
          { host: '127.0.0.1', port: 9001, nodeId: A.publicKey, lastSeen: 1_700_000_000_000 },
          { host: 'seed.example.org', port: 9002, nodeId: B.publicKey, lastSeen: 1_700_000_060_000 },
        ],
      },
    ],
    [
      'inv',
      {
        type: 'inv',
        items: [
          { kind: 'tx', hash: TX_HASH },
          { kind: 'block', hash: BLOCK_HASH },
        ],
      },
    ],
    ['getdata', { type: 'getdata', items: [{ kind: 'block', hash: BLOCK_HASH }] }],
    ['notfound', { type: 'notfound', items: [{ kind: 'tx', hash: TX_HASH }] }],
    ['tx', { type: 'tx', tx: sampleTx }],
    ['block', { type: 'block', block: sampleBlock() }],
    ['getblocks', { type: 'getblocks', locator: [BLOCK_HASH, GENESIS], stopHash: null }],
    ['getblocks-with-stop', { type: 'getblocks', locator: [GENESIS], stopHash: BLOCK_HASH }],
    ['reject', { type: 'reject', reason: 'tx-nonce-too-low', hash: TX_HASH }],
    ['reject-without-hash', { type: 'reject', reason: 'bad-blk-merkle', hash: null }],
    ['disconnect', { type: 'disconnect', reason: 'wrong-chain' }],
    // protocol version 2 (issue #7): headers-first sync
    ['getheaders', { type: 'getheaders', locator: [BLOCK_HASH, GENESIS], stopHash: null }],
    ['getheaders-with-stop', { type: 'getheaders', locator: [GENESIS], stopHash: BLOCK_HASH }],
    ['headers', { type: 'headers', headers: [sampleBlock().header] }],
    ['headers-empty', { type: 'headers', headers: [] }],
    // Protocol version 2 (issue #9): A's nonces 5, 6, 7.
    ['getnonces', { type: 'getnonces', sender: A.addressHash, fromNonce: 5n, count: 3 }],
    // Protocol version 2 (issue #9): compact block relay. The cmpctblock is the sample block under salt 0x0102030405060708.
    ['sendcmpct', { type: 'sendcmpct', highBandwidth: true }],
    ['sendcmpct-off', { type: 'sendcmpct', highBandwidth: false }],
    ['cmpctblock', makeCmpctBlock(sampleBlock(), 0x0102030405060708n)],
    ['getblocktxn', { type: 'getblocktxn', blockHash: BLOCK_HASH, indexes: [0, 2, 300] }],
    ['blocktxn', { type: 'blocktxn', blockHash: BLOCK_HASH, txs: [sampleTx] }],
  ];
}

/** JSON form: bytes as lower-case hex, bigints as decimal strings, everything else as is. */
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}
