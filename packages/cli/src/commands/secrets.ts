import type { ParsedArgs } from '../args.js';

/**
 * `spin secrets rotate-master-key`: re-encrypt everything the server holds under a new master
 * key (server/src/security/masterKeyRotation.ts). Reads the server's configuration from the
 * environment (DATABASE_URL, SPIN_DATA_DIR, SPIN_MASTER_KEY / SPIN_MASTER_KEY_FILE); stop the
 * server first.
 */
export async function secretsCommand(args: ParsedArgs): Promise<void> {
  const [sub] = args.positionals;
  if (sub !== 'rotate-master-key') {
    process.stderr.write(
      `spin secrets: unknown subcommand "${sub ?? ''}" (try: spin secrets rotate-master-key)\n`,
    );
    process.exitCode = 2;
    return;
  }
  const { loadConfig, rotateMasterKey } = await import('@spin/server');
  const r = await rotateMasterKey(loadConfig());
  const counts = r.reencrypted;
  process.stderr.write(
    `master key rotated: ${r.fromKeyId} → ${r.toKeyId}; re-encrypted ${counts.serverKeys} server ` +
      `key(s), ${counts.secrets} secret(s), ${counts.connections} connection(s); ` +
      `re-chained ${r.auditEntries} audit entries\n`,
  );
  if (r.keyFile) {
    process.stderr.write(`the new key is in ${r.keyFile}; the old key decrypts nothing now\n`);
  } else {
    process.stderr.write(
      'SPIN_MASTER_KEY holds the old key: set it to the new key below before the next start\n',
    );
    process.stdout.write(`${r.newKeyBase64}\n`);
  }
}
