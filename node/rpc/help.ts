/**
 * The `help` RPC method's text: every method with its parameters and one line saying what it does.
 * Kept beside methods.ts; a test checks the two list the same names.
 */
export interface MethodHelp {
  method: string;
  params: string;
  description: string;
}

export const METHOD_HELP: readonly MethodHelp[] = [
  { method: 'help', params: '[method?]', description: 'list the methods with their parameters, or describe one' },
  { method: 'getInfo', params: '[]', description: 'chain id, height, tip, peers, mempool size, node id, whether this node mines and the last block age' },
  { method: 'getBlock', params: '[hashOrHeight?]', description: 'a block with its transactions (the tip when omitted)' },
  { method: 'getBlockHash', params: '[height]', description: 'hash of the main-chain block at a height' },
  { method: 'getAccount', params: '[address]', description: 'balance and nonce of an address (base units), and the next nonce counting pending txs' },
  { method: 'sendTransaction', params: '[hex]', description: 'submit a signed transaction (145 bytes as hex); returns its id' },
  { method: 'getTransaction', params: '[id]', description: 'a transaction by id: pending or confirmed, with height, block hash and confirmations' },
  { method: 'getHistory', params: '[address, limit?]', description: 'confirmed transfers of an address, newest first (limit 1..1000, default 50)' },
  { method: 'getPeers', params: '[]', description: 'connected peers: node id, address, direction, latency, height' },
  { method: 'getMempool', params: '[]', description: 'pending transactions' },
];
