#!/usr/bin/env node
/** `node packages/server/dist/bin.js` — run the control plane from environment variables. */
import { startServer } from './index.js';

try {
  const server = await startServer();
  server.app.log.info(
    { url: server.url, issuer: server.config.publicUrl },
    'SPIN server listening',
  );
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (err) {
  console.error(`spin server: ${(err as Error).message}`);
  process.exit(1);
}
