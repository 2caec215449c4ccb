// The floor of the SPIN execution path (issue 13): what a cell run cannot avoid on this machine
// beside the kernel itself, each part with minimal code — one loopback HTTP round trip (the
// compile), one WebSocket hop (the envelope to the runtime), and the envelope's seal + open with
// node:crypto (bench/envelope.js). bench/path.js times it interleaved with raw ZeroMQ and the
// SPIN path, so floor + raw ZeroMQ is what the SPIN path is held to.
import { once } from 'node:events';
import http from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { programEnvelopeFloor } from './envelope.js';

/**
 * Start the floor's loopback servers. `sizes` are the byte lengths of a real compile request
 * body, its response body and the runtime WebSocket message that relays the envelope, so each
 * hop carries as many bytes as the SPIN path's. Returns `run()` (one floor iteration, timing
 * each part into `parts`) and `close()`.
 */
export async function startFloor(sizes) {
  // JSON of `make(padding)` padded to `bytes` long
  const sized = (make, bytes) => make('x'.repeat(Math.max(0, bytes - make('').length)));
  const requestBody = sized((p) => JSON.stringify({ sid: 's', source: p }), sizes.request);
  const responseBody = sized((p) => JSON.stringify({ jti: 'j', envelope: p }), sizes.response);
  const frame = sized(
    (p) => JSON.stringify({ type: 'execute', requestId: 'r1', envelope: p }),
    sizes.ws,
  );
  // HTTP: node:http on both ends, keep-alive, TCP_NODELAY (Node's default, set here anyway)
  const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(responseBody),
      });
      res.end(responseBody);
    });
  });
  // WebSocket: the `ws` library with the runtime's server options (http/server.ts)
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 8 * 1024 * 1024,
    perMessageDeflate: false,
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  const serverSide = new Promise((resolve) => {
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true });
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await once(client, 'open');
  const wsServer = await serverSide;
  let onFrame = null;
  client.on('message', (data) => onFrame?.(JSON.parse(data.toString('utf8'))));
  const envelope = await programEnvelopeFloor();

  const roundTrip = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/compile',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(requestBody),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(requestBody);
    });
  const hop = () =>
    new Promise((resolve) => {
      onFrame = resolve;
      wsServer.send(frame);
    });

  const parts = { http_ms: [], ws_hop_ms: [], seal_open_ms: [] };
  return {
    parts,
    /** One floor iteration: HTTP round trip, seal + open, one WebSocket hop; its parts timed. */
    async run() {
      const t0 = performance.now();
      await roundTrip();
      const t1 = performance.now();
      envelope.open(envelope.seal());
      const t2 = performance.now();
      await hop();
      const t3 = performance.now();
      parts.http_ms.push(t1 - t0);
      parts.seal_open_ms.push(t2 - t1);
      parts.ws_hop_ms.push(t3 - t2);
    },
    async close() {
      client.close();
      agent.destroy();
      wss.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
