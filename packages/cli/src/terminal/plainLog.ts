/**
 * A pino destination for `spin start` without LOG_LEVEL: the terminal gets warnings and errors
 * as one plain sentence each instead of JSON lines. Until {@link PlainLog.release} the lines are
 * held back, so the ones raised while starting appear in the start banner (in order, once each).
 */
export class PlainLog {
  private held: string[] | null = [];

  constructor(private readonly out: { write(text: string): unknown } = process.stderr) {}

  /** pino calls this with one JSON line per log record. */
  write(line: string): void {
    const text = plainLine(line);
    if (text === null) return;
    if (this.held) {
      if (!this.held.includes(text)) this.held.push(text);
    } else {
      this.out.write(`${text}\n`);
    }
  }

  /** The lines held back so far; later lines go straight to the terminal. */
  release(): string[] {
    const held = this.held ?? [];
    this.held = null;
    return held;
  }
}

const LABELS: Record<number, string> = { 40: 'warning', 50: 'error', 60: 'fatal' };

/** `warning: <msg>` / `error: <msg>: <err.message>` for warn and above; null for the rest. */
export function plainLine(line: string): string | null {
  let rec: { level?: unknown; msg?: unknown; err?: { message?: unknown }; code?: unknown };
  try {
    rec = JSON.parse(line) as typeof rec;
  } catch {
    return line.trimEnd() || null; // not pino's: pass it on unchanged
  }
  const level = typeof rec.level === 'number' ? rec.level : 0;
  if (level < 40) return null;
  const parts = [String(rec.msg ?? '')];
  if (typeof rec.err?.message === 'string') parts.push(rec.err.message);
  const code = typeof rec.code === 'string' ? ` (${rec.code})` : '';
  return `${LABELS[level] ?? 'fatal'}: ${parts.filter(Boolean).join(': ')}${code}`;
}
