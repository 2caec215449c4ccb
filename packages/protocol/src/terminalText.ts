/**
 * Carriage returns and backspaces in stream output, collapsed as a terminal shows them
 * (tqdm-style progress bars): `\r` moves the cursor to column 0 of the current line, `\b` one
 * column left, and what follows overwrites what was there. JupyterLab collapses consecutive
 * stream text the same way (`removeOverwrittenChars`), so a 10,000-update progress bar is one
 * line in the stored outputs.
 *
 * Collapsed text holds no `\b`, and a `\r` only at the very end of its last line, in the form
 * `line\rprefix` when the cursor sits inside the line (it rests after `prefix`). That keeps the
 * cursor across chunks: appending `X` to `abc\ra` gives `aXc`, as `abc\raX` does on a terminal,
 * and the form renders as `line` on a terminal and in JupyterLab alike.
 */

/** True when `text` holds characters this module collapses (two native scans: fast on MBs). */
export function hasTerminalControls(text: string): boolean {
  return text.indexOf('\r') >= 0 || text.indexOf('\b') >= 0;
}

/**
 * Collapse one line (no `\n`) to its terminal form. An open (last) line keeps its cursor in the
 * normalised `line[\rprefix]` shape; a finished one needs no cursor.
 */
function collapseLine(line: string, open: boolean): string {
  if (!hasTerminalControls(line)) return line;
  const cells: string[] = [];
  let col = 0;
  for (const ch of line) {
    if (ch === '\r') col = 0;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else {
      cells[col] = ch;
      col++;
    }
  }
  // a sparse slot cannot occur: writes only happen at col <= cells.length
  const text = cells.join('');
  return !open || col === cells.length ? text : `${text}\r${cells.slice(0, col).join('')}`;
}

/** Collapse a whole text (every line of it). */
export function collapseTerminalText(text: string): string {
  if (!hasTerminalControls(text)) return text;
  const lines = text.split('\n');
  return lines.map((l, i) => collapseLine(l, i === lines.length - 1)).join('\n');
}

/**
 * `prev + next`, collapsed. Only the last line of `prev` can be touched by `next` (no control
 * character crosses a newline), so the cost is that line plus `next`, not the whole text.
 */
export function appendTerminalText(prev: string, next: string): string {
  const start = prev.lastIndexOf('\n') + 1;
  const openLine = prev.slice(start);
  if (!hasTerminalControls(next) && !openLine.includes('\r')) return prev + next;
  return prev.slice(0, start) + collapseTerminalText(openLine + next);
}
