import { memo, useMemo, type CSSProperties } from 'react';
import { backgroundFor, legibleOn, parseAnsi, readableOn, type AnsiStyle } from './ansi';

type Css = CSSProperties & Record<`--${string}`, string>;

function cssOf(s: AnsiStyle): Css | undefined {
  const fg = s.inverse ? (s.bg ?? 'var(--bg)') : s.fg;
  const bg = s.inverse ? (s.fg ?? 'var(--fg)') : s.bg;
  const css: Css = {};
  // A colour on its own background is the program's choice; on the page it must stay readable
  // in either theme: both variants go along and the stylesheet picks (`.ansi-fg`), so
  // switching themes needs no re-render.
  if (fg && bg) css.color = readableOn(fg, bg);
  else if (fg) {
    css['--ansi-light'] = legibleOn('light', fg);
    css['--ansi-dark'] = legibleOn('dark', fg);
  }
  if (bg && fg) css.backgroundColor = bg;
  else if (bg) {
    // the page's text colour goes on it: the background gives way so that stays readable
    css['--ansi-bg-light'] = backgroundFor('light', bg);
    css['--ansi-bg-dark'] = backgroundFor('dark', bg);
  }
  if (s.bold) css.fontWeight = 600;
  if (s.dim) css.opacity = 0.7;
  if (s.italic) css.fontStyle = 'italic';
  if (s.underline) css.textDecoration = 'underline';
  return Object.keys(css).length > 0 ? css : undefined;
}

function classOf(css: Css): string | undefined {
  const names = [css['--ansi-light'] && 'ansi-fg', css['--ansi-bg-light'] && 'ansi-bg'];
  return names.filter(Boolean).join(' ') || undefined;
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
          <span key={i} style={style} className={classOf(style)}>
            {seg.text}
          </span>
        ) : (
          seg.text
        );
      })}
    </>
  );
});
