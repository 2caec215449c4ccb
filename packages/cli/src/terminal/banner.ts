import { describeKernels, type KernelDiscovery } from '@spin/runtime';

/** What `spin start` tells the user once everything listens. */
export interface BannerInfo {
  url: string;
  runtimeUrl: string;
  fingerprint: string;
  kernels: KernelDiscovery;
  /** Plain-words warnings raised while starting (see `PlainLog`). */
  warnings: string[];
}

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
    `${label('kernels')}${firstKernel ?? ''}`,
    ...moreKernels.map((k) => `${label('')}${k}`),
  ];
  if (b.warnings.length > 0) lines.push('', ...b.warnings.map((w) => `  ${w}`));
  lines.push('', '  press Ctrl+C to stop', '');
  return lines.join('\n');
}
