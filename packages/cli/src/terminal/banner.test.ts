import { describe, expect, it } from 'vitest';
import { formatBanner } from './banner.js';

const base = {
  url: 'http://localhost:8080',
  runtimeUrl: 'http://localhost:8888',
  fingerprint: 'SHA256:ab:cd',
};

describe('the start banner', () => {
  it('shows the URL, the fingerprint and each kernel with its interpreter', () => {
    const text = formatBanner({
      ...base,
      kernels: {
        searched: ['/usr/share/jupyter/kernels'],
        problems: [],
        kernels: [
          {
            name: 'python3',
            displayName: 'Python 3 (ipykernel)',
            language: 'python',
            interpreter: '/usr/bin/python3',
            resourceDir: '/usr/share/jupyter/kernels/python3',
          },
          {
            name: 'venv',
            displayName: 'My venv',
            language: 'python',
            interpreter: '/srv/venv/bin/python',
            resourceDir: '/srv/venv/share/jupyter/kernels/venv',
          },
        ],
      },
      warnings: [],
    });
    expect(text.split('\n')).toEqual([
      '',
      'SPIN is running: open http://localhost:8080',
      '',
      '  runtime      http://localhost:8888',
      '  fingerprint  SHA256:ab:cd',
      '  kernels      python3  python  /usr/bin/python3  (Python 3 (ipykernel))',
      '               venv     python  /srv/venv/bin/python  (My venv)',
      '',
      '  press Ctrl+C to stop',
      '',
    ]);
  });

  it('says where it looked when there are no kernels, and shows the warnings', () => {
    const text = formatBanner({
      ...base,
      kernels: { searched: ['/a/kernels', '/b/kernels'], problems: [], kernels: [] },
      warnings: ['warning: no Python kernel found, so python cells will fail'],
    });
    expect(text).toContain('  kernels      none (looked in /a/kernels, /b/kernels)\n');
    expect(text).toContain('\n\n  warning: no Python kernel found, so python cells will fail\n');
  });
});
