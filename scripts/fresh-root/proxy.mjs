// The fresh root's only way out: its network namespace has nothing but loopback (so its
// PostgreSQL, MariaDB and ports cannot meet the host's), and apt and npm reach their two
// registries through this forward proxy, the way a machine behind a company proxy does.
//
//   node proxy.mjs serve <unix-socket> <log-file> <host>...   on the host: an HTTP proxy (plain
//       requests and CONNECT tunnels) listening on a unix socket, allowing only the named hosts;
//       every request is logged (method, host, allowed or refused)
//   node proxy.mjs relay <port> <unix-socket>                 inside the namespace: 127.0.0.1:<port>
//       piped to that socket (a unix socket in the chroot's file system crosses namespaces)
//
// Node built-ins only: it runs before any npm install.
import { appendFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function serve(socketPath, logFile, allowed) {
  const allow = new Set(allowed);
  const log = (line) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const server = http.createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.writeHead(400).end('absolute URL expected\n');
      return;
    }
    const ok = target.protocol === 'http:' && allow.has(target.hostname);
    log(`${ok ? 'allow' : 'refuse'} ${req.method} ${target.hostname}${target.pathname}`);
    if (!ok) {
      res.writeHead(403).end(`the fresh root may not reach ${target.hostname}\n`);
      return;
    }
    const upstream = http.request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  server.on('connect', (req, client, head) => {
    const [host, port = '443'] = req.url.split(':');
    const ok = allow.has(host) && port === '443';
    log(`${ok ? 'allow' : 'refuse'} CONNECT ${req.url}`);
    if (!ok) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  rmSync(socketPath, { force: true });
  server.listen(socketPath, () => log(`listening on ${socketPath} for ${allowed.join(' ')}`));
}

function relay(port, socketPath) {
  net
    .createServer((client) => {
      const upstream = net.connect(socketPath);
      client.pipe(upstream);
      upstream.pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    })
    .listen(Number(port), '127.0.0.1');
}

if (mode === 'serve' && args.length >= 3) serve(args[0], args[1], args.slice(2));
else if (mode === 'relay' && args.length === 2) relay(args[0], args[1]);
else {
  process.stderr.write('usage: proxy.mjs serve <socket> <log> <host>... | relay <port> <socket>\n');
  process.exit(2);
}
