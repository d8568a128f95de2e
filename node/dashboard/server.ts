/**
 * The testnet dashboard's HTTP server: the page (public/), the chart and graph libraries served from
 * their own npm packages (no CDN: the page works offline), the collector's snapshots pushed as
 * server-sent events on /events, the latest snapshot on /api/state, and, when the launcher provides
 * them, POST /api/nodes/<index>/stop|start, POST /api/split (body {"groups": [[1,2],[3,4]]}) and
 * POST /api/heal (partition.ts: each node's test-only setPeerFilter).
 *
 * Binds to loopback. Requests whose Host is not this server's loopback name are refused (DNS
 * rebinding), and a POST must come from the page itself (Origin equal to our own) so another web
 * page cannot stop nodes. At most MAX_CLIENTS event streams are open at once.
 * Imports only the collector and Node built-ins; the node itself never imports this folder.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { Collector, Snapshot } from './collector.js';
import { PartitionControls } from './partition.js';

export const MAX_CLIENTS = 32;
/** Largest POST body read (a split's groups). */
export const MAX_BODY_BYTES = 4096;

/** Stop/start of one testnet node, by index; resolves with a line for the event list. */
export interface NodeControls {
  stop(index: number): Promise<string>;
  start(index: number): Promise<string>;
}

export interface DashboardOptions {
  collector: Collector;
  controls?: NodeControls;
  /** Split/heal; without it those requests get 501. */
  partition?: PartitionControls;
  host?: string;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** URL path -> file. Vendor files come straight from the packages' own dist folders. */
function routes(): Map<string, string> {
  const req = createRequire(import.meta.url);
  const pub = join(packageRoot(), 'node', 'dashboard', 'public');
  return new Map([
    ['/', join(pub, 'index.html')],
    ['/app.js', join(pub, 'app.js')],
    ['/style.css', join(pub, 'style.css')],
    ['/vendor/cytoscape.min.js', req.resolve('cytoscape/dist/cytoscape.min.js')],
    ['/vendor/uPlot.iife.min.js', join(req.resolve('uplot'), '..', 'uPlot.iife.min.js')],
    ['/vendor/uPlot.min.css', join(req.resolve('uplot'), '..', 'uPlot.min.css')],
  ]);
}

export class DashboardServer {
  private server: http.Server | undefined;
  private readonly clients = new Set<http.ServerResponse>();
  private readonly files = routes();
  private readonly onSnapshot = (s: Snapshot) => this.broadcast(s);
  port = 0;

  constructor(private readonly o: DashboardOptions) {}

  get url(): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${this.port}/`;
  }

  /** @throws Error naming the port when it cannot listen (e.g. in use). */
  async start(port: number): Promise<string> {
    const host = this.o.host ?? '127.0.0.1';
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new Error(e.code === 'EADDRINUSE' ? `dashboard port ${port} is already in use (try --dashboard-port or --no-dashboard)` : `dashboard cannot listen on ${host}:${port}: ${e.message}`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    this.o.collector.on('snapshot', this.onSnapshot);
    return this.url;
  }

  async stop(): Promise<void> {
    this.o.collector.off('snapshot', this.onSnapshot);
    for (const c of this.clients) c.end();
    this.clients.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private broadcast(s: Snapshot): void {
    const frame = `data: ${JSON.stringify(s)}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (!new RegExp(`^(127\\.0\\.0\\.1|localhost|\\[::1\\]):${this.port}$`).test(host)) return text(res, 421, 'unexpected Host header\n');
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST') return this.control(req, res, path);
    if (req.method !== 'GET') return text(res, 405, 'GET or POST\n');
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/api/state') return json(res, 200, this.o.collector.snapshot ?? null);
    if (path === '/events') return this.stream(req, res);
    const file = this.files.get(path);
    if (!file) return text(res, 404, 'not found\n');
    try {
      const body = await readFile(file);
      const ext = file.slice(file.lastIndexOf('.'));
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
    } catch (e) {
      text(res, 500, `cannot read ${path}: ${(e as Error).message}\n`);
    }
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.clients.size >= MAX_CLIENTS) return text(res, 503, `at most ${MAX_CLIENTS} dashboard pages at once\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`retry: 1000\n\n`);
    const last = this.o.collector.snapshot;
    if (last) res.write(`data: ${JSON.stringify(last)}\n\n`);
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.url.replace(/\/$/, '') && origin !== `http://localhost:${this.port}`) {
      req.resume();
      return text(res, 403, 'cross-origin request refused\n');
    }
    if (path === '/api/split' || path === '/api/heal') return this.partition(req, res, path);
    req.resume();
    const m = /^\/api\/nodes\/(\d{1,3})\/(stop|start)$/.exec(path);
    if (!m) return text(res, 404, 'not found\n');
    const controls = this.o.controls;
    if (!controls) return text(res, 501, 'node controls are not available\n');
    const index = Number(m[1]);
    try {
      const line = await (m[2] === 'stop' ? controls.stop(index) : controls.start(index));
      this.o.collector.note('control', line);
      json(res, 200, { ok: true, message: line });
    } catch (e) {
      json(res, 400, { ok: false, message: (e as Error).message });
    }
  }

  /** Split or heal; an outcome of either kind goes to the event list, a failure as one 'error' line. */
  private async partition(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const p = this.o.partition;
    if (!p) {
      req.resume();
      return text(res, 501, 'split/heal is not available\n');
    }
    try {
      let line: string;
      if (path === '/api/heal') {
        req.resume();
        line = await p.heal();
        this.o.collector.partition = null;
      } else {
        let body: { groups?: unknown };
        try {
          body = JSON.parse(await readBody(req)) as { groups?: unknown };
        } catch (e) {
          return json(res, 400, { ok: false, message: `split: expected JSON {"groups": [[1,2],[3,4]]} (${(e as Error).message})` });
        }
        const groups = body?.groups as number[][];
        line = await p.split(groups);
        this.o.collector.partition = groups;
      }
      this.o.collector.note('control', line);
      json(res, 200, { ok: true, message: line });
    } catch (e) {
      const line = (e as Error).message;
      this.o.collector.note('error', line);
      json(res, 400, { ok: false, message: line });
    }
  }
}

/** The request body as text, at most MAX_BODY_BYTES. @throws Error when it is longer */
function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const t = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t) }).end(t);
}
