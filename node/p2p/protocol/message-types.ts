/**
 * P2P wire messages, their shapes: the type byte of each message, the `Message` union and the limits the
 * codec (messages.ts) enforces. Byte layouts are specified in docs/protocol.md ("Wire messages").
 * Pure: imports only node/core types and constants.
 */
import { PUBLIC_KEY_LEN } from '../../core/keys.js';
import { Tx } from '../../core/tx.js';
import { Block, BlockHeader, MAX_BLOCK_TXS_WIRE } from '../../core/block.js';

/** Largest frame (type byte included) either side sends or accepts; the transport's limit is the same. */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
/** Entries in one inv / getdata / notfound. */
export const MAX_INV = 1000;
/** Entries in one addr. */
export const MAX_ADDR = 1000;
/** Hashes in a getblocks locator (enough for ~2^60 blocks with Bitcoin's exponential spacing). */
export const MAX_LOCATOR = 64;
/** Block hashes a responder puts in the inv answering one getblocks (protocol rule, not a decoder limit). */
export const MAX_GETBLOCKS_REPLY = 500;
/** Headers in one `headers` message (Bitcoin's MAX_HEADERS_RESULTS): a full answer means "ask again". */
export const MAX_HEADERS = 2000;
export const MAX_USER_AGENT_BYTES = 64;
/** reject / disconnect reasons: 111 bytes keeps a disconnect frame's reason inside a ws close reason too. */
export const MAX_REASON_BYTES = 111;
/** An addr host: a DNS name (<= 253), an IPv4 or an IPv6 literal. */
export const MAX_HOST_BYTES = 255;
export const NODE_ID_LEN = PUBLIC_KEY_LEN;
export const CHALLENGE_LEN = 32;
/** hello.observedIp: an IPv6 address, IPv4 as ::ffff:a.b.c.d (version >= 2). */
export const OBSERVED_IP_LEN = 16;
/** Nonces one getnonces may ask for: the mempool's nonce window (policy.ts MAX_NONCE_AHEAD). */
export const MAX_GETNONCES = 64;
/** The 20-byte account id (hash160 of the public key) naming a sender in getnonces. */
export const SENDER_LEN = 20;
/** bestWork is a u256, big-endian, so it compares like the number it is. */
export const WORK_LEN = 32;
// ---- compact block relay (issue #9) ----
/** Bytes of one short transaction id in a cmpctblock. */
export const SHORT_ID_LEN = 6;
/** Short ids in one cmpctblock: the wire ceiling on a block's tx count. */
export const MAX_CMPCT_TXS = MAX_BLOCK_TXS_WIRE;
/** Indexes in one getblocktxn / transactions in one blocktxn (10,000 x 146 bytes fits a 2 MiB frame). */
export const MAX_BLOCKTXN = 10_000;

/** The type byte of every message. Values are frozen; a new message gets a new value. */
export const MESSAGE_TYPES = {
  hello: 0x01,
  helloProof: 0x02,
  ping: 0x03,
  pong: 0x04,
  getaddr: 0x05,
  addr: 0x06,
  inv: 0x07,
  getdata: 0x08,
  notfound: 0x09,
  tx: 0x0a,
  block: 0x0b,
  getblocks: 0x0c,
  reject: 0x0d,
  disconnect: 0x0e,
  // ---- protocol version 2: headers-first sync (issue #7) ----
  getheaders: 0x0f,
  headers: 0x10,
  // ---- protocol version 2 ----
  /** Issue #9: ask a peer for a sender's pending transactions by nonce (a gap we cannot fill). */
  getnonces: 0x18,
  // ---- protocol version 2: compact block relay (issue #9, BIP-152 high-bandwidth mode) ----
  sendcmpct: 0x11,
  cmpctblock: 0x12,
  getblocktxn: 0x13,
  blocktxn: 0x14,
} as const;

export type MessageType = keyof typeof MESSAGE_TYPES;


export type InvKind = 'tx' | 'block';
export const INV_KINDS: Record<InvKind, number> = { tx: 1, block: 2 };

export interface InvItem {
  kind: InvKind;
  hash: Uint8Array;
}

/** One gossiped address. `lastSeen` is ms since the epoch, as claimed by the sender. */
export interface WireAddr {
  host: string;
  port: number;
  nodeId: Uint8Array;
  lastSeen: number;
}

export interface HelloMessage {
  type: 'hello';
  protocolVersion: number;
  chainId: number;
  genesisHash: Uint8Array;
  /** The sender's 33-byte compressed secp256k1 public key; its helloProof must verify against it. */
  nodeId: Uint8Array;
  /** 32 fresh random bytes the receiver must sign in its helloProof. */
  challenge: Uint8Array;
  /** Port the sender accepts connections on; 0 = not listening. */
  listenPort: number;
  bestHeight: number;
  bestWork: bigint;
  bestHash: Uint8Array;
  userAgent: string;
  /** Sender's clock, ms since the epoch. */
  timestamp: number;
  /**
   * Version >= 2: the address (16 bytes, IPv4 mapped) and port at which the sender sees the receiver's
   * socket; part of the handshake transcript. A version-1 hello has none (decoded as zeros).
   */
  observedIp: Uint8Array;
  observedPort: number;
}

export interface HelloProofMessage {
  type: 'helloProof';
  /** 64-byte compact low-s signature over handshakeDigest (see handshake.ts). */
  signature: Uint8Array;
}

export interface PingMessage { type: 'ping'; nonce: bigint }
export interface PongMessage { type: 'pong'; nonce: bigint }
export interface GetAddrMessage { type: 'getaddr' }
export interface AddrMessage { type: 'addr'; addrs: WireAddr[] }
export interface InvMessage { type: 'inv'; items: InvItem[] }
export interface GetDataMessage { type: 'getdata'; items: InvItem[] }
export interface NotFoundMessage { type: 'notfound'; items: InvItem[] }
export interface TxMessage { type: 'tx'; tx: Tx }
export interface BlockMessage { type: 'block'; block: Block }

export interface GetBlocksMessage {
  type: 'getblocks';
  /** Block hashes from the sender's tip backwards, densest first; the responder uses the first it knows. */
  locator: Uint8Array[];
  /** Stop after this hash; null (all-zero on the wire) = send up to MAX_GETBLOCKS_REPLY. */
  stopHash: Uint8Array | null;
}

/** Asks for the headers after the first locator hash on the responder's main chain (same layout as getblocks). */
export interface GetHeadersMessage {
  type: 'getheaders';
  locator: Uint8Array[];
  /** Stop after this hash; null (all-zero on the wire) = up to MAX_HEADERS. */
  stopHash: Uint8Array | null;
}

/** Up to MAX_HEADERS consecutive 92-byte block headers, each the parent of the next. */
export interface HeadersMessage {
  type: 'headers';
  headers: BlockHeader[];
}

/** Informational: why something the peer sent was not accepted. Never acted on by the receiver. */
export interface RejectMessage {
  type: 'reject';
  reason: string;
  hash: Uint8Array | null;
}

/** Sent just before closing, so the other side can log why. */
export interface DisconnectMessage { type: 'disconnect'; reason: string }

/**
 * "Which transactions of `sender` with nonces in [fromNonce, fromNonce + count) do you have pending?"
 * Answered with an `inv` of those the responder's mempool holds (nothing when it holds none); the asker
 * fetches them with getdata as usual. Version 2.
 */
export interface GetNoncesMessage {
  type: 'getnonces';
  /** The sender's 20-byte account id. */
  sender: Uint8Array;
  fromNonce: bigint;
  /** 1..MAX_GETNONCES */
  count: number;
}

/** "Push new blocks to me as cmpctblock" (highBandwidth true) or "stop doing so" (false). Version 2. */
export interface SendCmpctMessage {
  type: 'sendcmpct';
  highBandwidth: boolean;
}

/**
 * A block as its header, reward fields and one 6-byte short id per transaction, in block order
 * (compact.ts: shortTxId keyed by the header and `salt`). Version 2.
 */
export interface CmpctBlockMessage {
  type: 'cmpctblock';
  header: BlockHeader;
  miner: Uint8Array;
  reward: bigint;
  /** Per-announcement salt of the short-id key, against precomputed collisions. */
  salt: bigint;
  shortIds: Uint8Array[];
}

/** Asks for the transactions at these indexes (strictly increasing) of a block announced by cmpctblock. */
export interface GetBlockTxnMessage {
  type: 'getblocktxn';
  blockHash: Uint8Array;
  indexes: number[];
}

/** The answer to getblocktxn: the asked transactions, in the asked order. */
export interface BlockTxnMessage {
  type: 'blocktxn';
  blockHash: Uint8Array;
  txs: Tx[];
}

export type Message =
  | HelloMessage
  | HelloProofMessage
  | PingMessage
  | PongMessage
  | GetAddrMessage
  | AddrMessage
  | InvMessage
  | GetDataMessage
  | NotFoundMessage
  | TxMessage
  | BlockMessage
  | GetBlocksMessage
  | RejectMessage
  | DisconnectMessage
  | GetHeadersMessage
  | HeadersMessage
  | GetNoncesMessage
  | SendCmpctMessage
  | CmpctBlockMessage
  | GetBlockTxnMessage
  | BlockTxnMessage;

/** The message variant with type `T`, e.g. `MessageOf<'inv'>`. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
