import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';
import { createTestDatabase } from './testDatabase.js';

describe('server shutdown', () => {
  it('finishes a request in flight, then closes its keep-alive connection instead of waiting for the keep-alive timeout', async () => {
    const db = await createTestDatabase('pglite');
    const server = await startServer({ port: 0, dataDir: db.dataDir, logLevel: 'silent' });
    try {
      const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
      await once(socket, 'connect');
      let response = '';
      socket.on('data', (d: Buffer) => (response += d.toString()));
      const ended = once(socket, 'close');
      const body = JSON.stringify({
        name: 'Ada',
        email: 'ada@example.test',
        password: 'password123',
      });
      const arrived = once(server.app.server, 'request');
      socket.write(
        'POST /api/v1/auth/signup HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await arrived; // the sign-up (password hashing, database) is now in flight
      await server.close(); // without the sweep this waits ~72 s and the test times out
      await ended;
      expect(response).toMatch(/^HTTP\/1\.1 200/);
      expect(response).toContain('"csrfToken"');
    } finally {
      await server.close();
      await db.drop();
    }
  });
});
