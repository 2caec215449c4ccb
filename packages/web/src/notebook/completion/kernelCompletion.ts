import type { Completion, CompletionResult } from '@codemirror/autocomplete';
import type { KernelCompletions } from '@spin/client';
import { utf16Offset } from './codePoints';

/**
 * Jupyter's completion types (IPython's `_jupyter_types_experimental`, from jedi) as the
 * CodeMirror option types its theme draws an icon for.
 */
const TYPE_ICONS: Record<string, string> = {
  function: 'function',
  builtin_function_or_method: 'function',
  method: 'method',
  class: 'class',
  type: 'type',
  module: 'namespace',
  keyword: 'keyword',
  statement: 'variable',
  instance: 'variable',
  param: 'variable',
  property: 'property',
  path: 'text',
  magic: 'keyword',
};

/**
 * CodeMirror's completion result for a kernel's reply to the whole cell `doc`: the reply's
 * code-point range becomes a UTF-16 range of the document, each match an option (typed when
 * the kernel said its type). Null when the kernel had nothing.
 */
export function kernelCompletionResult(
  doc: string,
  reply: KernelCompletions,
): CompletionResult | null {
  if (reply.matches.length === 0) return null;
  const from = utf16Offset(doc, reply.cursorStart);
  const to = utf16Offset(doc, reply.cursorEnd);
  const options: Completion[] = reply.matches.map((match, i) => {
    const t = reply.types[match];
    const icon = t?.type ? (TYPE_ICONS[t.type] ?? 'variable') : undefined;
    return {
      label: match,
      // the kernel ranked them; keep its order among equally good fuzzy matches
      boost: -i / reply.matches.length,
      ...(icon ? { type: icon } : {}),
      ...(t?.type ? { detail: t.signature || t.type } : {}),
    };
  });
  // While the user keeps typing a name, narrow these options instead of asking again.
  return { from, to, options, validFor: /^[\w.]*$/ };
}
