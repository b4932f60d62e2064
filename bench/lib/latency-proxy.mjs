// A small HTTP proxy on loopback that holds every request for `delayMs`
// before passing it to the server behind it: a far store's round trip,
// without leaving the machine. It counts requests and the bytes of every
// response body it passes on (what a run downloaded, as the wire saw it).
import { createServer, request } from 'node:http';

export async function latencyProxy(upstreamPort, delayMs) {
  const stats = { requests: 0, bodyBytes: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    req.pause();
    setTimeout(() => {
      const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode, upRes.headers);
        if (req.method === 'GET') upRes.on('data', (chunk) => (stats.bodyBytes += chunk.length));
        upRes.pipe(res);
      });
      up.on('error', () => res.socket?.destroy());
      req.pipe(up);
      req.resume();
    }, delayMs);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    stats,
    reset: () => Object.assign(stats, { requests: 0, bodyBytes: 0 }),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
