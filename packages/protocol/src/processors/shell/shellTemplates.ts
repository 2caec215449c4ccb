import { SpinError } from '../../errors.js';
import { parseTemplate, type TemplateRef } from '../../templates.js';

/** Where a reference sits in a bash script, which decides how its variable is written. */
export type ShellContext = 'plain' | 'single' | 'double' | 'heredoc' | 'quoted_heredoc' | 'comment';

interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

// `<<EOF`, `<<-EOF`, `<< 'EOF'`, `<<"EOF"` — but not the here-string `<<<`.
const HEREDOC = /(?<!<)<<(?!<)(-?)[ \t]*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/**
 * A small bash lexer that tracks only what decides how a value can be inserted: quotes,
 * backslash escapes, comments and here-documents. It is fed the script in pieces (the text
 * between references) and asked for the context at each reference.
 */
export class ShellContextScanner {
  private state: 'plain' | 'single' | 'double' | 'comment' = 'plain';
  private escaped = false;
  private line = '';
  private prev = '\n';
  private readonly pending: Heredoc[] = [];
  private heredoc: Heredoc | null = null;

  feed(text: string): void {
    for (const ch of text) this.step(ch);
  }

  context(): ShellContext {
    if (this.heredoc) return this.heredoc.quoted ? 'quoted_heredoc' : 'heredoc';
    return this.state;
  }

  private step(ch: string): void {
    if (this.heredoc) {
      if (ch === '\n') {
        const body = this.heredoc.stripTabs ? this.line.replace(/^\t+/, '') : this.line;
        if (body === this.heredoc.delimiter) this.heredoc = this.pending.shift() ?? null;
        this.line = '';
      } else this.line += ch;
      this.prev = ch;
      return;
    }
    if (ch === '\n' && !this.escaped && this.state !== 'single' && this.state !== 'double') {
      for (const m of this.line.matchAll(HEREDOC)) {
        this.pending.push({ delimiter: m[3]!, quoted: m[2] !== '', stripTabs: m[1] === '-' });
      }
      this.line = '';
      this.state = 'plain';
      this.prev = ch;
      this.heredoc = this.pending.shift() ?? null;
      return;
    }
    this.line += ch;
    const prev = this.prev;
    this.prev = ch;
    if (this.escaped) {
      this.escaped = false;
      return;
    }
    switch (this.state) {
      case 'single':
        if (ch === "'") this.state = 'plain';
        return;
      case 'double':
        if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.state = 'plain';
        return;
      case 'comment':
        return;
      case 'plain':
        if (ch === '\\') this.escaped = true;
        else if (ch === "'") this.state = 'single';
        else if (ch === '"') this.state = 'double';
        else if (ch === '#' && /[\s;&|()]/.test(prev)) this.state = 'comment';
    }
  }
}

/** How a variable is written in each context so its value arrives as one literal word. */
function expansion(name: string, ctx: ShellContext, ref: TemplateRef): string {
  switch (ctx) {
    case 'plain':
    case 'comment':
      return `"\${${name}}"`;
    case 'double':
    case 'heredoc':
      return `\${${name}}`;
    case 'single':
      return `'"\${${name}}"'`;
    case 'quoted_heredoc':
      throw new SpinError(
        'template.unsupported',
        `${ref.raw} is inside a quoted here-document (<<'EOF'), where nothing expands; use an unquoted delimiter`,
      );
  }
}

/**
 * Bind references in a bash script without pasting values into it: each distinct reference
 * becomes an environment variable (`SPIN_TPL_1`…) and is written as a quoted expansion that
 * fits its quoting context, so quotes, `$`, backticks, braces and newlines in a value arrive
 * literally and never run. Returns the script and the variables to add to its environment.
 */
export function bindShellScript(
  script: string,
  valueOf: (ref: TemplateRef) => string,
): { script: string; env: Record<string, string> } {
  const scanner = new ShellContextScanner();
  const env: Record<string, string> = {};
  const names = new Map<string, string>();
  let out = '';
  for (const part of parseTemplate(script)) {
    if (part.kind === 'text') {
      // Escaped `\{{` came back as `{{`; bash sees it literally either way.
      scanner.feed(part.text);
      out += part.text;
      continue;
    }
    let name = names.get(part.ref.raw);
    if (!name) {
      name = `SPIN_TPL_${names.size + 1}`;
      names.set(part.ref.raw, name);
      env[name] = valueOf(part.ref);
    }
    out += expansion(name, scanner.context(), part.ref);
  }
  return { script: out, env };
}
