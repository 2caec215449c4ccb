import { memo, useMemo, type CSSProperties } from 'react';
import { legibleOnLight, parseAnsi, type AnsiStyle } from './ansi';

function cssOf(s: AnsiStyle): CSSProperties | undefined {
  const fg = s.inverse ? (s.bg ?? 'var(--bg)') : s.fg;
  const bg = s.inverse ? (s.fg ?? 'var(--fg)') : s.bg;
  const css: CSSProperties = {};
  // a colour on its own background is the program's choice; on the page it must stay readable
  if (fg) css.color = bg ? fg : legibleOnLight(fg);
  if (bg) css.backgroundColor = bg;
  if (s.bold) css.fontWeight = 600;
  if (s.dim) css.opacity = 0.7;
  if (s.italic) css.fontStyle = 'italic';
  if (s.underline) css.textDecoration = 'underline';
  return Object.keys(css).length > 0 ? css : undefined;
}

/** Text with ANSI colour codes rendered as styled spans (text only; never HTML). */
export const AnsiText = memo(function AnsiText({ text }: { text: string }) {
  const segments = useMemo(() => (text.includes('\u001b') ? parseAnsi(text) : null), [text]);
  if (!segments) return <>{text}</>;
  return (
    <>
      {segments.map((seg, i) => {
        const style = cssOf(seg.style);
        return style ? (
          <span key={i} style={style}>
            {seg.text}
          </span>
        ) : (
          seg.text
        );
      })}
    </>
  );
});
