/**
 * The authenticated handshake (protocol version 2): each side proves it holds the private key of the
 * nodeId it announced by signing the session transcript: the chain (genesis hash), both node ids, both
 * fresh challenges and the address at which each side sees the other's socket (hello.observed). A node
 * that connects to V claiming T's id and relays V's hello to T gets T's signature over T's sockets, not
 * V's, so the proof fails at V (and the observed-address check refuses it earlier). Exchange order and
 * timeout are specified in docs/protocol.md ("Handshake").
 *
 * Pure: imports only node/core (and messages.ts for types and sizes). The caller supplies the randomness
 * for challenges and the clock for the timeout.
 */
import { Writer, equalBytes, toHex } from '../../core/bytes.js';
import { NodeError } from '../../core/errors.js';
import { HASH_LEN, sha256d } from '../../core/hash.js';
import { PUBLIC_KEY_LEN, SIGNATURE_LEN, sign, verifyReference } from '../../core/keys.js';
import { Verdict, ok, reject } from '../../core/verdict.js';
import { addressClass, formatIp } from '../peers/net-address.js';
import { CHALLENGE_LEN, HelloMessage } from './messages.js';

/** The version this implementation speaks; sent in hello. 2: session-bound handshake transcript (hello.observed). */
export const PROTOCOL_VERSION = 2;
/** Oldest peer version we still talk to; the session runs at min(ours, theirs). v1 proofs are relayable, so refused. */
export const MIN_PROTOCOL_VERSION = 2;
/** A connection that has not completed the handshake within this time is closed. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Domain separation: a handshake signature can never be mistaken for a tx signature or anything else. */
export const HANDSHAKE_DOMAIN = 'minichain-handshake-v2';
/** Bytes of an endpoint in the transcript and in hello.observed: 16-byte IP (IPv4 mapped) + u16 port. */
export const ENDPOINT_LEN = 18;

const DOMAIN_BYTES = new TextEncoder().encode(HANDSHAKE_DOMAIN);

/** One side's part of the session: its id, its fresh challenge and where it sees the other side. */
export interface TranscriptSide {
  id: Uint8Array;
  challenge: Uint8Array;
  /** 16-byte IP (IPv4-mapped for IPv4) at which this side sees the other side's socket. */
  observedIp: Uint8Array;
  observedPort: number;
}

/** Everything both sides sign: the chain, then the dialer's part, then the listener's part. */
export interface Transcript {
  genesisHash: Uint8Array;
  dialer: TranscriptSide;
  listener: TranscriptSide;
}

export type HandshakeRole = 'dialer' | 'listener';

/**
 * sha256d("minichain-handshake-v2" (22 ASCII bytes) | genesisHash 32 | dialer id 33 | listener id 33 |
 * dialer challenge 32 | listener challenge 32 | dialer's view of the listener (ip 16, port u16 LE) |
 * listener's view of the dialer (ip 16, port u16 LE) | signer role u8 (1 dialer, 2 listener)): 221 bytes,
 * every part of fixed length. Both challenges bind the session, the ids and the views bind the two sockets,
 * so a proof relayed through a third node (whose sockets differ) is useless; the role byte stops reflection.
 * @throws NodeError INVALID_ARGUMENT when a part has the wrong length.
 */
export function handshakeDigest(t: Transcript, signer: HandshakeRole): Uint8Array {
  const w = new Writer(DOMAIN_BYTES.length + 2 * HASH_LEN + 2 * PUBLIC_KEY_LEN + 2 * CHALLENGE_LEN + 2 * ENDPOINT_LEN + 1)
    .bytes(DOMAIN_BYTES)
    .fixed(t.genesisHash, HASH_LEN)
    .fixed(t.dialer.id, PUBLIC_KEY_LEN)
    .fixed(t.listener.id, PUBLIC_KEY_LEN)
    .fixed(t.dialer.challenge, CHALLENGE_LEN)
    .fixed(t.listener.challenge, CHALLENGE_LEN)
    .fixed(t.dialer.observedIp, 16)
    .u16(t.dialer.observedPort)
    .fixed(t.listener.observedIp, 16)
    .u16(t.listener.observedPort)
    .u8(signer === 'dialer' ? 1 : 2);
  return sha256d(w.finish());
}

/**
 * The helloProof signature of `signer`: `privateKey` must be the key of that side's id.
 * @throws NodeError INVALID_ARGUMENT on a wrong-length part or an invalid private key.
 */
export function signHandshake(t: Transcript, signer: HandshakeRole, privateKey: Uint8Array): Uint8Array {
  return sign(handshakeDigest(t, signer), privateKey);
}

/**
 * True when `signature` is the low-s signature of `signer`'s id over the transcript. Never throws: a
 * malformed id, signature or part is simply an invalid proof.
 */
export function verifyHandshake(t: Transcript, signer: HandshakeRole, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LEN) return false;
  let digest: Uint8Array;
  try {
    digest = handshakeDigest(t, signer);
  } catch {
    return false;
  }
  return verifyReference(digest, signature, (signer === 'dialer' ? t.dialer : t.listener).id);
}

/** The transcript of a session from the two hellos; `ours` is the hello we sent, on a connection we `dialled` or accepted. */
export function transcriptOf(genesisHash: Uint8Array, ours: HelloMessage, theirs: HelloMessage, weDialled: boolean): Transcript {
  const side = (h: HelloMessage): TranscriptSide => ({ id: h.nodeId, challenge: h.challenge, observedIp: h.observedIp, observedPort: h.observedPort });
  return weDialled
    ? { genesisHash, dialer: side(ours), listener: side(theirs) }
    : { genesisHash, dialer: side(theirs), listener: side(ours) };
}

/**
 * Our helloProof for a session: signs the transcript of both hellos in our role. The perspective-safe
 * wrapper of signHandshake (which side is which is the usual mistake).
 */
export function signHelloProof(ours: HelloMessage, theirs: HelloMessage, weDialled: boolean, local: { genesisHash: Uint8Array; privateKey: Uint8Array }): Uint8Array {
  return signHandshake(transcriptOf(local.genesisHash, ours, theirs, weDialled), weDialled ? 'dialer' : 'listener', local.privateKey);
}

/** Whether the peer's helloProof signs this session's transcript in the peer's role. Never throws. */
export function verifyHelloProof(signature: Uint8Array, ours: HelloMessage, theirs: HelloMessage, weDialled: boolean, genesisHash: Uint8Array): boolean {
  return verifyHandshake(transcriptOf(genesisHash, ours, theirs, weDialled), weDialled ? 'listener' : 'dialer', signature);
}

/**
 * Whether the peer's claim of where it sees us (hello.observed) fits this connection: exactly our local
 * socket address and port; or our announced external IP; or, when our local address is not public and
 * the claim is a public address, a translator (NAT) between us (then only the transcript binds the
 * session). A relayed hello carries the relay's view of some other socket, so it fails here.
 */
export function isObservedAcceptable(hello: HelloMessage, local: { ip: Uint8Array; port: number }, externalIps: readonly Uint8Array[] = []): boolean {
  if (equalBytes(hello.observedIp, local.ip) && hello.observedPort === local.port) return true;
  if (externalIps.some((ip) => equalBytes(ip, hello.observedIp))) return true;
  const claimed = addressClass(formatIp(hello.observedIp));
  const ours = addressClass(formatIp(local.ip));
  return claimed === 'public' && ours !== 'public' && ours !== undefined;
}

/**
 * Hex of a 33-byte node id, the form used in logs, the peer store and RPC.
 * @throws NodeError INVALID_ARGUMENT when `pubkey` is not 33 bytes.
 */
export function nodeIdHex(pubkey: Uint8Array): string {
  if (pubkey.length !== PUBLIC_KEY_LEN) throw new NodeError('INVALID_ARGUMENT', `node id must be ${PUBLIC_KEY_LEN} bytes, got ${pubkey.length}`);
  return toHex(pubkey);
}

export interface LocalIdentity {
  chainId: number;
  genesisHash: Uint8Array;
  nodeId: Uint8Array;
  protocolVersion: number;
}

export type HelloReason = 'bad-protocol-version' | 'wrong-chain' | 'wrong-genesis' | 'self-connection' | 'bad-observed-address';

/**
 * Whether we can talk to the sender of `hello` at all (its proof is checked separately). Rejections are
 * class 'policy': a peer on another chain is not misbehaving and earns no ban score, it is just dropped.
 * Checked in this order: bad-protocol-version, wrong-chain, wrong-genesis, self-connection (our own
 * nodeId: we dialled ourselves through an advertised address). The value is the negotiated version.
 */
export function checkHello(hello: HelloMessage, local: LocalIdentity): Verdict<{ version: number }> {
  const version = Math.min(hello.protocolVersion, local.protocolVersion);
  if (version < MIN_PROTOCOL_VERSION)
    return reject('policy', 'bad-protocol-version', `peer speaks ${hello.protocolVersion}, oldest supported is ${MIN_PROTOCOL_VERSION}`);
  if (hello.chainId !== local.chainId) return reject('policy', 'wrong-chain', `peer chain id ${hello.chainId}, ours ${local.chainId}`);
  if (!equalBytes(hello.genesisHash, local.genesisHash)) return reject('policy', 'wrong-genesis', `peer genesis ${toHex(hello.genesisHash)}`);
  if (equalBytes(hello.nodeId, local.nodeId)) return reject('policy', 'self-connection');
  return ok({ version });
}
