import type { Logger } from 'pino';
import type { KernelClient } from '../kernels/kernelClient.js';
import type { RunCredentials } from './runCredentials.js';

/**
 * The `SpinSecrets` helper, installed once per Python kernel through the kernel channel (a
 * silent execute_request: no history, no execution count, no output). Values live only in a
 * closure for the run whose program names them and are cleared when it ends; they are never
 * written to a file or the kernel's environment, where other cells' code could list them. The
 * call that hands them over is dropped from `linecache` so a later cell cannot read it back.
 */
const INSTALL = String.raw`
def __spin_install_secrets():
    import base64, builtins, json, linecache
    if hasattr(builtins, 'SpinSecrets'):
        return
    store, errors = {}, {}

    class SpinSecretError(LookupError):
        """A secret this cell asked for is not available (the message starts with its code)."""

    class SpinSecrets:
        """Secrets this cell may use (its program names them); values are masked in output."""
        Error = SpinSecretError

        @staticmethod
        def get_secret(name):
            if name in store:
                return store[name]
            raise SpinSecretError(errors.get(name) or (
                'secret.unavailable: this cell may not use secret "%s": it is not one the cell '
                'was compiled with' % name))

    def set_secrets(payload):
        data = json.loads(base64.b64decode(payload).decode('utf-8')) if payload else {}
        store.clear()
        store.update(data.get('values', {}))
        errors.clear()
        errors.update(data.get('errors', {}))
        for cache in (linecache.cache, getattr(linecache, '_ipython_cache', {})):
            for key, entry in list(cache.items()):
                lines = entry[2] if len(entry) > 2 else []
                if any('__spin_set_secrets__(' in line for line in lines):
                    cache.pop(key, None)

    builtins.SpinSecrets = SpinSecrets
    builtins.__spin_set_secrets__ = set_secrets
__spin_install_secrets()
del __spin_install_secrets
`;

const state = new WeakMap<KernelClient, { installed: boolean; holds: boolean }>();

function isPython(kernel: KernelClient): boolean {
  return kernel.spec?.language.toLowerCase() === 'python';
}

async function silent(kernel: KernelClient, code: string, logger: Logger): Promise<boolean> {
  let failure = '';
  const reply = await kernel.execute(
    code,
    (out) => {
      if (out.msgType === 'error') failure = String(out.content.ename ?? 'Error');
    },
    { silent: true, storeHistory: false },
  );
  if (reply.status !== 'ok')
    logger.warn({ kernel: kernel.id, failure }, 'SpinSecrets setup failed');
  return reply.status === 'ok';
}

/**
 * Before a run in `kernel`: install `SpinSecrets` on first use and hand it this run's secrets
 * (or none). Costs nothing when the kernel has the helper and holds no secrets already.
 */
export async function prepareKernelSecrets(
  kernel: KernelClient,
  run: RunCredentials,
  logger: Logger,
): Promise<void> {
  if (!isPython(kernel)) return;
  const s = state.get(kernel) ?? { installed: false, holds: false };
  state.set(kernel, s);
  const payload = run.kernelPayload();
  const any = Object.keys(payload.values).length + Object.keys(payload.errors).length > 0;
  if (s.installed && !any && !s.holds) return;
  const encoded = any ? Buffer.from(JSON.stringify(payload), 'utf8').toString('base64') : '';
  const code = `${s.installed ? '' : INSTALL}\n__spin_set_secrets__('${encoded}')\n`;
  const ok = await silent(kernel, code, logger);
  s.installed ||= ok;
  s.holds = ok && any;
}

/** After a run: the kernel forgets the secrets it was handed. */
export async function clearKernelSecrets(kernel: KernelClient, logger: Logger): Promise<void> {
  const s = state.get(kernel);
  if (!s?.holds || !kernel.alive) return;
  s.holds = !(await silent(kernel, `__spin_set_secrets__('')\n`, logger));
}
