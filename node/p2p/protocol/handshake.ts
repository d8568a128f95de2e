/**
 * The authenticated handshake: each side proves it holds the private key of the nodeId it announced by
 * signing the challenge the other side put in its hello. The signed digest also binds the chain (genesis
 * hash, which commits to the chain id and every consensus parameter) and both node ids, so a proof made
 * for one connection cannot be replayed to a third node or on another chain. Exchange order and timeout
 * are specified in docs/protocol.md ("Handshake").
 *
 * Pure: imports only node/core (and messages.ts for types and sizes). The caller supplies the randomness
 * for challenges and the clock for the timeout.
 */
import { Writer, equalBytes, toHex } from '../../core/bytes.js';
import { NodeError } from '../../core/errors.js';
import { HASH_LEN, sha256d } from '../../core/hash.js';
import { PUBLIC_KEY_LEN, SIGNATURE_LEN, sign, verifyReference } from '../../core/keys.js';
import { Verdict, ok, reject } from '../../core/verdict.js';
import { CHALLENGE_LEN, HelloMessage } from './messages.js';

/** The version this implementation speaks; sent in hello. */
export const PROTOCOL_VERSION = 2;
/** Oldest peer version we still talk to; the session runs at min(ours, theirs). */
export const MIN_PROTOCOL_VERSION = 2;
/** A connection that has not completed the handshake within this time is closed. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Domain separation: a handshake signature can never be mistaken for a tx signature or anything else. */
export const HANDSHAKE_DOMAIN = 'minichain-handshake-v1';

const DOMAIN_BYTES = new TextEncoder().encode(HANDSHAKE_DOMAIN);

export interface HandshakeParams {
  genesisHash: Uint8Array;
  /** The challenge the verifier sent in its hello (from the signer's side: the one the peer sent us). */
  challenge: Uint8Array;
  /** nodeId of the side producing the proof. */
  signerId: Uint8Array;
  /** nodeId of the side checking the proof. */
  verifierId: Uint8Array;
}

/**
 * sha256d("minichain-handshake-v1" (22 ASCII bytes, no length prefix) | genesisHash 32 | challenge 32 |
 * signerId 33 | verifierId 33). Every part has a fixed length, so the concatenation is unambiguous.
 * @throws NodeError INVALID_ARGUMENT when a part has the wrong length.
 */
export function handshakeDigest(p: HandshakeParams): Uint8Array {
  const w = new Writer(DOMAIN_BYTES.length + 2 * HASH_LEN + 2 * PUBLIC_KEY_LEN)
    .bytes(DOMAIN_BYTES)
    .fixed(p.genesisHash, HASH_LEN)
    .fixed(p.challenge, CHALLENGE_LEN)
    .fixed(p.signerId, PUBLIC_KEY_LEN)
    .fixed(p.verifierId, PUBLIC_KEY_LEN);
  return sha256d(w.finish());
}

/**
 * The helloProof signature: `privateKey` must be the key of `p.signerId`.
 * @throws NodeError INVALID_ARGUMENT on a wrong-length part or an invalid private key.
 */
export function signHandshake(p: HandshakeParams, privateKey: Uint8Array): Uint8Array {
  return sign(handshakeDigest(p), privateKey);
}

/**
 * True when `signature` is signerId's low-s signature over the digest. Never throws: a malformed id,
 * signature or part is simply an invalid proof.
 */
export function verifyHandshake(p: HandshakeParams, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LEN) return false;
  let digest: Uint8Array;
  try {
    digest = handshakeDigest(p);
  } catch {
    return false;
  }
  return verifyReference(digest, signature, p.signerId);
}

/**
 * Our helloProof for a peer whose hello we accepted: signs the peer's challenge, binding our id and
 * theirs. The perspective-safe wrapper of signHandshake (which challenge is whose is the usual mistake).
 */
export function signHelloProof(peerHello: HelloMessage, local: { genesisHash: Uint8Array; nodeId: Uint8Array; privateKey: Uint8Array }): Uint8Array {
  return signHandshake(
    { genesisHash: local.genesisHash, challenge: peerHello.challenge, signerId: local.nodeId, verifierId: peerHello.nodeId },
    local.privateKey,
  );
}

/**
 * Whether the peer's helloProof signs the challenge *we* sent, under the nodeId from *its* hello.
 * Never throws.
 */
export function verifyHelloProof(
  signature: Uint8Array,
  peerHello: HelloMessage,
  local: { genesisHash: Uint8Array; nodeId: Uint8Array; challenge: Uint8Array },
): boolean {
  return verifyHandshake(
    { genesisHash: local.genesisHash, challenge: local.challenge, signerId: peerHello.nodeId, verifierId: local.nodeId },
    signature,
  );
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

export type HelloReason = 'bad-protocol-version' | 'wrong-chain' | 'wrong-genesis' | 'self-connection';

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
