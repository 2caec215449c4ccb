import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/**
 * Past this height a list is scrolled through a scaled window instead of at its true height:
 * browsers position and paint with single-precision floats, so lines millions of pixels down
 * overlap and jitter (a million 18 px lines are 18,000,000 px). Under it, true heights.
 */
export const SCALE_ABOVE_PX = 2 ** 21;
/** The height a scaled list scrolls through. */
const SCALED_PX = 2 ** 20;

export interface WindowRow {
  index: number;
  /** Offset from the top of the scroll content, px. */
  top: number;
}

export interface ScaledWindow {
  rows: WindowRow[];
  totalSize: number;
  /** Brings line `i` into view: at the bottom (`end`) or in the middle (`center`). */
  scrollToIndex(i: number, align: 'end' | 'center'): void;
  onScroll(): void;
  onWheel(e: WheelEvent): void;
  onKeyDown(e: React.KeyboardEvent): boolean;
  /** The last line is in view. */
  atEnd(): boolean;
}

/**
 * A window over `count` lines of `linePx` in a scroll box of `viewPx`. For lists too tall to
 * lay out (past {@link SCALE_ABOVE_PX}) it is scaled: the scrollbar stands for the whole list
 * (dragging it to the end shows the last line), the wheel and keys move by lines (the caller
 * routes them here), and rows are positioned around the current scrollTop so every offset
 * stays small enough to paint exactly. Below it the same math is 1:1 — true heights, native
 * scrolling. Either way a render costs the lines in view only: a virtualiser that measures
 * (TanStack Virtual) rebuilt an entry per line, 100,000 of them, each time a stream grew.
 */
export function useScaledWindow(
  scrollRef: RefObject<HTMLDivElement | null>,
  count: number,
  linePx: number,
  viewPx: number,
  overscan: number,
): ScaledWindow {
  const viewLines = viewPx / linePx;
  const span = Math.max(0, count - viewLines); // first-line positions there are
  const natural = count * linePx;
  const totalSize = natural > SCALE_ABOVE_PX ? SCALED_PX : natural;
  const maxScroll = totalSize - viewPx; // = span × linePx when not scaled
  // the first line in view, fractional (the source of truth; scrollTop follows it)
  const [first, setFirst] = useState(0);
  const firstRef = useRef(0);
  const setScrollTop = useRef<number | null>(null);

  const moveTo = useCallback(
    (f: number) => {
      const v = Math.min(Math.max(0, f), span);
      firstRef.current = v;
      setFirst(v);
      const el = scrollRef.current;
      if (el) {
        const top = span > 0 ? (v / span) * maxScroll : 0;
        setScrollTop.current = Math.round(top);
        el.scrollTop = top;
      }
    },
    [span, maxScroll, scrollRef],
  );
  // keep the position when the list grows (a following view moves itself to the end)
  useLayoutEffect(() => {
    if (firstRef.current > span) moveTo(span);
  }, [span, moveTo]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    // our own scrollTop assignment: the fractional position stays as set
    if (setScrollTop.current !== null && Math.abs(el.scrollTop - setScrollTop.current) <= 1) {
      setScrollTop.current = null;
      return;
    }
    setScrollTop.current = null;
    const v = maxScroll > 0 ? (el.scrollTop / maxScroll) * span : 0;
    firstRef.current = v;
    setFirst(v);
  }, [maxScroll, span, scrollRef]);

  const onWheel = useCallback(
    (e: WheelEvent) => {
      e.preventDefault();
      const lines =
        e.deltaMode === 1 ? e.deltaY : e.deltaMode === 2 ? e.deltaY * viewLines : e.deltaY / linePx;
      moveTo(firstRef.current + lines);
    },
    [moveTo, viewLines, linePx],
  );
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      const step: Record<string, number> = {
        ArrowDown: 1,
        ArrowUp: -1,
        PageDown: viewLines - 1,
        PageUp: -(viewLines - 1),
        ' ': viewLines - 1,
      };
      if (e.key === 'Home') moveTo(0);
      else if (e.key === 'End') moveTo(span);
      else if (step[e.key] !== undefined)
        moveTo(firstRef.current + step[e.key]! * (e.shiftKey && e.key === ' ' ? -1 : 1));
      else return false;
      e.preventDefault();
      return true;
    },
    [moveTo, span, viewLines],
  );

  const scrollToIndex = useCallback(
    (i: number, align: 'end' | 'center') =>
      moveTo(align === 'end' ? i + 1 - viewLines : i + 0.5 - viewLines / 2),
    [moveTo, viewLines],
  );

  const f = Math.min(first, span);
  const whole = Math.floor(f);
  const base = (span > 0 ? (f / span) * maxScroll : 0) - (f - whole) * linePx;
  const rows: WindowRow[] = [];
  const from = Math.max(0, whole - overscan);
  const to = Math.min(count - 1, whole + Math.ceil(viewLines) + overscan);
  for (let i = from; i <= to; i++) rows.push({ index: i, top: base + (i - whole) * linePx });
  const atEnd = useCallback(() => firstRef.current >= span - 1, [span]);
  return { rows, totalSize, scrollToIndex, onScroll, onWheel, onKeyDown, atEnd };
}
