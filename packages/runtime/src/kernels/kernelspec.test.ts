import { describe, expect, it } from 'vitest';
import { findKernelSpec } from './kernelspec.js';

describe('kernelspec discovery', () => {
  it('finds the system python3 kernel with its interpreter from kernel.json', () => {
    const spec = findKernelSpec('python3');
    expect(spec.argv[0]).toBe('/usr/bin/python3');
    expect(spec.argv).toContain('{connection_file}');
    expect(spec.language).toBe('python');
  });

  it('rejects unknown and path-like names with runtime.kernel_not_found', () => {
    for (const name of ['nope', '../python3', '.hidden', 'a/b']) {
      expect(() => findKernelSpec(name)).toThrow(
        expect.objectContaining({ code: 'runtime.kernel_not_found' }),
      );
    }
  });
});
