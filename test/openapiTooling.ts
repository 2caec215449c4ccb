import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

/**
 * What the OpenAPI tests of the server and the runtime share: validating a document against
 * the OpenAPI schema, generating a client's types from it the way a user would
 * (openapi-typescript), and type-checking code written against those types.
 */

/** Schema errors of `document` (empty when valid), including `$ref`s that resolve to nothing. */
export async function openApiErrors(document: object): Promise<string[]> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as Record<string, unknown>);
  if (!result.valid) {
    const errors = (result.errors ?? []) as unknown as {
      instancePath?: string;
      message?: string;
    }[];
    return errors.map((e) => `${e.instancePath ?? ''} ${e.message ?? JSON.stringify(e)}`);
  }
  try {
    validator.resolveRefs();
  } catch (err) {
    return [`unresolved $ref: ${(err as Error).message}`];
  }
  return [];
}

/** The TypeScript declarations openapi-typescript generates for `document` (`paths`, …). */
export async function generatedTypes(document: object): Promise<string> {
  return astToString(await openapiTS(structuredClone(document) as never));
}

const here = createRequire(import.meta.url);
/** openapi-fetch's folder, so code in a temporary folder can import it. */
const openapiFetchDir = dirname(here.resolve('openapi-fetch/package.json'));

/**
 * Type-check `files` (name → source; `api.d.ts` typically the generated types) in a
 * temporary folder with strict settings; the diagnostics, one line each (empty: it compiles).
 * Code may import `openapi-fetch`.
 */
export async function typeErrors(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'spin-openapi-client-'));
  try {
    const names: string[] = [];
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, name), text);
      names.push(join(dir, name));
    }
    const program = ts.createProgram(names, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      baseUrl: dir,
      paths: { 'openapi-fetch': [openapiFetchDir] },
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.slice(dir.length + 1)}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
