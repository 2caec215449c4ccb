import type { RuntimeSandbox } from '@spin/protocol';
import { describeKernels, type KernelDiscovery } from '@spin/runtime';

/** What `spin start` tells the user once everything listens. */
export interface BannerInfo {
  url: string;
  runtimeUrl: string;
  fingerprint: string;
  kernels: KernelDiscovery;
  /** How the runtime isolates user code (absent: not reported). */
  sandbox?: RuntimeSandbox | undefined;
  /** Plain-words warnings raised while starting (see `PlainLog`). */
  warnings: string[];
}

const SANDBOX_WORDS: Record<RuntimeSandbox['mode'], string> = {
  bwrap: 'bubblewrap (cells cannot see SPIN’s keys, tokens or other sessions)',
  user: 'a separate user per session (bubblewrap is not installed)',
  none: 'NONE — cells run as SPIN itself and can read its keys (SPIN_SANDBOX=none)',
  unavailable: 'unavailable — Python and shell cells are refused (see the warning)',
};

/** The start banner: URL, runtime and its key fingerprint, kernels found, warnings. */
export function formatBanner(b: BannerInfo): string {
  const label = (name: string) => `  ${name.padEnd(12)} `;
  const [firstKernel, ...moreKernels] = describeKernels(b.kernels);
  const lines = [
    '',
    `SPIN is running: open ${b.url}`,
    '',
    `${label('runtime')}${b.runtimeUrl}`,
    `${label('fingerprint')}${b.fingerprint}`,
    ...(b.sandbox ? [`${label('sandbox')}${SANDBOX_WORDS[b.sandbox.mode]}`] : []),
    `${label('kernels')}${firstKernel ?? ''}`,
    ...moreKernels.map((k) => `${label('')}${k}`),
  ];
  if (b.warnings.length > 0) lines.push('', ...b.warnings.map((w) => `  ${w}`));
  lines.push('', '  press Ctrl+C to stop', '');
  return lines.join('\n');
}
