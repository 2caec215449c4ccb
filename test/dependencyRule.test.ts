import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md §2: the package dependency rule is enforced by lint, not goodwill. These cases
// prove the rule fires (and stays quiet for allowed imports).
const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function ruleHits(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code + '\n', { filePath: root + file });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('package dependency rule', () => {
  it.each([
    ['packages/server/src/x.ts', "import { startRuntime } from '@spin/runtime';"],
    ['packages/runtime/src/x.ts', "import { startServer } from '@spin/server';"],
    ['packages/runtime/src/x.ts', "import { ServerApi } from '@spin/client';"],
    ['packages/protocol/src/x.ts', "import { ServerApi } from '@spin/client';"],
    ['packages/client/src/x.ts', "import { startServer } from '@spin/server';"],
    ['packages/web/src/x.ts', "import { startServer } from '@spin/server';"],
    ['packages/cli/src/x.ts', "import App from '@spin/web';"],
    ['packages/protocol/src/x.ts', "import { readFileSync } from 'node:fs';"],
    ['packages/client/src/x.ts', "import { createHash } from 'node:crypto';"],
    ['packages/web/src/x.ts', "import path from 'node:path';"],
    [
      'packages/runtime/src/processors/demo/x.ts',
      "import { Execution } from '../../sessions/execution.js';",
    ],
    [
      'packages/runtime/src/processors/demo/x.ts',
      "import { ProcessorRegistry } from '../registry.js';",
    ],
    ['packages/runtime/src/processors/demo/x.ts', "import { factory } from '../shell/index.js';"],
    ['packages/protocol/src/processors/demo/x.ts', "import { manifest } from '../shell/index.js';"],
  ])('%s may not: %s', async (file, code) => {
    expect(await ruleHits(file, code)).not.toEqual([]);
  });

  it.each([
    ['packages/client/src/x.ts', "import { SpinError } from '@spin/protocol';"],
    ['packages/client/src/node/x.ts', "import { readFileSync } from 'node:fs';"],
    ['packages/web/src/x.ts', "import { ServerApi } from '@spin/client';"],
    ['packages/cli/src/x.ts', "import { startServer } from '@spin/server';"],
    ['packages/runtime/src/x.ts', "import { readFileSync } from 'node:fs';"],
    ['packages/runtime/src/processors/demo/x.ts', "import { TablePager } from '../sdk.js';"],
    ['packages/runtime/src/processors/demo/x.ts', "import { spawn } from 'node:child_process';"],
    [
      'packages/runtime/src/processors/demo/x.ts',
      "import { manifest } from '@spin/protocol/processors/demo';",
    ],
    [
      'packages/runtime/src/processors/demo/fixture.ts',
      "import type { ProcessorFixture } from '../conformance.js';",
    ],
    [
      'packages/protocol/src/processors/demo/x.ts',
      "import { defineProcessor } from '../manifest.js';",
    ],
  ])('%s may: %s', async (file, code) => {
    expect(await ruleHits(file, code)).toEqual([]);
  });
});
