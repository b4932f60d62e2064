import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to one request. */
export type Fault =
  /** the body is cut after `bytes` and the connection dropped (shorter than its Content-Length) */
  | { kind: 'cut'; bytes: number }
  /** the body is cut after `bytes`, with a Content-Length that says so: a clean response that is too short */
  | { kind: 'short'; bytes: number }
  /** 206 with an empty body */
  | { kind: 'empty' }
  /** the connection is reset before any response */
  | { kind: 'reset' }
  /** 503 SlowDown, as S3 throttles, with Retry-After when given (seconds) */
  | { kind: 'slowdown'; retryAfter?: number };

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  at: number;
}

interface Rule {
  match: (req: IncomingMessage) => boolean;
  fault: Fault;
  times: number;
}

/**
 * An HTTP proxy on loopback in front of a real S3 server that injects
 * transport faults into chosen requests, and answers a GET whose If-Match
 * no longer matches the object with 412 as S3 does (s3rver itself ignores
 * If-Match). It records every request it saw.
 */
export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  /** the bytes of every response body it passed on whole: what a run downloaded, as the wire saw it */
  bodyBytes = 0;
  /** held before each request is passed on: a far store's round trip */
  delayMs = 0;
  /** requests being answered at once, now and at most since the last clear() */
  inFlight = 0;
  maxInFlight = 0;
  private rules: Rule[] = [];
  private hooks: { match: (req: IncomingMessage) => boolean; fn: () => Promise<void> }[] = [];
  private server?: Server;
  port = 0;

  constructor(private readonly upstreamPort: () => number) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `fault` for the next `times` requests that `match` (GETs of objects, by default). */
  inject(fault: Fault, opts: { times?: number; match?: (req: IncomingMessage) => boolean } = {}): void {
    this.rules.push({ fault, times: opts.times ?? 1, match: opts.match ?? ((req) => req.method === 'GET' && !req.url!.includes('list-type')) });
  }

  /** Runs `fn` (once) before forwarding the first request that matches, e.g. to replace the object being read. */
  before(match: (req: IncomingMessage) => boolean, fn: () => Promise<void>): void {
    this.hooks.push({ match, fn });
  }

  clear(): void {
    this.rules = [];
    this.hooks = [];
    this.seen.length = 0;
    this.bodyBytes = 0;
    this.maxInFlight = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const hook = this.hooks.find((h) => h.match(req));
    if (hook) {
      this.hooks.splice(this.hooks.indexOf(hook), 1);
      req.pause();
      void hook.fn().then(() => this.forward(req, res));
      return;
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    if (this.delayMs > 0) {
      req.pause();
      setTimeout(() => this.forward(req, res), this.delayMs);
    } else this.forward(req, res);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, at: Date.now() });
    const rule = this.rules.find((r) => r.times > 0 && r.match(req));
    if (rule) rule.times--;
    const fault = rule?.fault;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slowdown') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml', ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}) });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const up = request({ host: '127.0.0.1', port: this.upstreamPort(), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      const headers = { ...upRes.headers };
      const ifMatch = req.headers['if-match'];
      if (req.method === 'GET' && ifMatch && upRes.statusCode! < 300 && headers.etag && headers.etag !== ifMatch) {
        upRes.resume();
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
      if (!fault) {
        res.writeHead(upRes.statusCode!, headers);
        if (req.method === 'GET') upRes.on('data', (chunk: Buffer) => (this.bodyBytes += chunk.length));
        upRes.pipe(res);
        return;
      }
      if (fault.kind === 'empty') {
        upRes.resume();
        res.writeHead(206, { ...headers, 'content-length': '0' });
        res.end();
        return;
      }
      const limit = fault.bytes;
      if (fault.kind === 'short') headers['content-length'] = String(Math.min(limit, Number(headers['content-length'] ?? limit)));
      res.writeHead(upRes.statusCode!, headers);
      let sent = 0;
      upRes.on('data', (chunk: Buffer) => {
        if (sent >= limit) return;
        const part = chunk.subarray(0, limit - sent);
        sent += part.length;
        res.write(part);
        if (sent >= limit) {
          upRes.destroy();
          if (fault.kind === 'cut') res.socket?.destroy();
          else res.end();
        }
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  }
}
