// Lint enforces the package dependency rule of DESIGN.md §2:
//   protocol ← client ← {web, cli}; protocol ← server; protocol ← runtime;
//   cli may import server, runtime and client. Nothing imports web. server and runtime never
//   import each other. protocol and client are browser-safe: no `node:` imports outside node/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'net',
  'child_process',
  'stream',
  'url',
  'zlib',
  'tls',
  'dns',
  'events',
  'util',
  'worker_threads',
  'buffer',
];

/** no-restricted-imports patterns forbidding the given workspace packages. */
function forbid(pkgs, extra = []) {
  return [
    'error',
    {
      patterns: [
        ...pkgs.map((p) => ({
          group: [`@spin/${p}`, `@spin/${p}/*`, `**/packages/${p}/**`],
          message: `DESIGN.md §2: this package may not import @spin/${p}.`,
        })),
        ...extra,
      ],
    },
  ];
}
/** What a runtime processor folder may not import: the runtime outside ../sdk.js, other processors. */
function processorImports(alsoAllowed) {
  return {
    group: [
      '../../*',
      '../../**',
      '../*',
      '../*/**',
      '!../sdk.js',
      ...alsoAllowed.map((p) => `!${p}`),
    ],
    message:
      'DESIGN.md §3: a processor imports only @spin/protocol, npm packages, Node built-ins and ../sdk.js.',
  };
}

const browserSafe = {
  group: nodeBuiltins,
  message: 'browser-safe package: Node built-ins only inside a node/ folder (STYLE.md).',
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.spin/**',
      'packages/web/dist/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  // No import cycles inside a package (STYLE.md: the graph is a checked DAG, within packages
  // too). Sources import `./x.js` that is `x.ts` on disk, hence the extension alias.
  {
    files: ['packages/*/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
        }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['packages/protocol/src/**'],
    ignores: ['packages/protocol/src/node/**'],
    rules: {
      'no-restricted-imports': forbid(['client', 'server', 'runtime', 'web', 'cli'], [browserSafe]),
    },
  },
  {
    files: ['packages/protocol/src/node/**'],
    rules: { 'no-restricted-imports': forbid(['client', 'server', 'runtime', 'web', 'cli']) },
  },
  {
    files: ['packages/client/src/**'],
    ignores: ['packages/client/src/node/**'],
    rules: { 'no-restricted-imports': forbid(['server', 'runtime', 'web', 'cli'], [browserSafe]) },
  },
  {
    files: ['packages/client/src/node/**'],
    rules: { 'no-restricted-imports': forbid(['server', 'runtime', 'web', 'cli']) },
  },
  {
    files: ['packages/server/**'],
    rules: { 'no-restricted-imports': forbid(['client', 'runtime', 'web', 'cli']) },
  },
  {
    files: ['packages/runtime/**'],
    rules: { 'no-restricted-imports': forbid(['client', 'server', 'web', 'cli']) },
  },
  {
    files: ['packages/web/**'],
    rules: { 'no-restricted-imports': forbid(['server', 'runtime', 'cli'], [browserSafe]) },
  },
  { files: ['packages/cli/**'], rules: { 'no-restricted-imports': forbid(['web']) } },
  // DESIGN.md §3: a processor lives in its two folders. Its runtime half imports only
  // @spin/protocol, npm packages, Node built-ins and ../sdk.js; neither half imports another
  // processor. (test/processorBoundaries.test.ts checks that nothing else names a processor.)
  {
    files: ['packages/runtime/src/processors/*/**'],
    rules: {
      'no-restricted-imports': forbid(['client', 'server', 'web', 'cli'], [processorImports([])]),
    },
  },
  {
    // a processor's own tests may also run cells through the runtime's test harnesses
    files: ['packages/runtime/src/processors/*/*.test.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['client', 'server', 'web', 'cli'],
        [processorImports(['../cellHarness.js', '../sqlAcceptance.js'])],
      ),
    },
  },
  {
    files: ['packages/runtime/src/processors/*/fixture.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['client', 'server', 'web', 'cli'],
        [processorImports(['../conformance.js'])],
      ),
    },
  },
  {
    files: ['packages/protocol/src/processors/*/**'],
    rules: {
      'no-restricted-imports': forbid(
        ['client', 'server', 'runtime', 'web', 'cli'],
        [
          browserSafe,
          {
            group: ['../*/**', '!../../**'],
            message: 'DESIGN.md §3: a processor never imports another one.',
          },
        ],
      ),
    },
  },
);
