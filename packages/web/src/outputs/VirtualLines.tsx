import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { AnsiText } from './AnsiText';
import { SCALE_ABOVE_PX, useScaledWindow } from './scaledWindow';

/** Height of one line in the virtual list (matches `.output-stream-virtual` line-height). */
export const LINE_PX = 18;
/**
 * The virtual list's height: 28 lines, about JupyterLab's scrolled outputs. With the search bar
 * it stays inside the output box's 560 px (`.cell-output`), so it never scrolls in a scroller.
 */
const VIEW_LINES = 28;

/** Where the lines of a long stream come from. */
export interface LineSource {
  /** Lines in all (line numbers shown are 1-based). */
  count: number;
  /** Line `i` (0-based) without its newline; undefined while it is still being fetched. */
  lineAt(i: number): string | undefined;
  /** Lines (0-based) that contain `query`, in order. */
  find(query: string): number[];
  /** Called with the lines in view (0-based, inclusive), so a source can fetch them. */
  onRange?(first: number, last: number): void;
}

/**
 * A long stream as a virtual list: only the lines in view are in the DOM, so a million lines
 * scroll smoothly and a growing output costs only its new lines. While output streams in, the
 * view follows the tail unless the user scrolled up. Searchable: lines containing the text,
 * Enter for the next, Shift+Enter for the previous.
 */
export function VirtualLines({
  name,
  source,
  summary,
  searchNote,
}: {
  name: string;
  source: LineSource;
  /** The bar's left part (defaults to the line count). */
  summary?: ReactNode;
  /** Said beside the search box (e.g. which lines a search covers). */
  searchNote?: string;
}) {
  const { count } = source;
  const scrollRef = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const [query, setQuery] = useState('');
  const [hit, setHit] = useState(0);
  // Lists too tall to lay out at their true height scroll through a scaled window (the wheel
  // and keys move it by lines); shorter ones at true height. Lines are fixed-height, so the
  // window is arithmetic: nothing per line is kept or rebuilt as the stream grows.
  const scaled = count * LINE_PX > SCALE_ABOVE_PX;
  const win = useScaledWindow(scrollRef, count, LINE_PX, VIEW_LINES * LINE_PX, 20);
  const items = win.rows;
  const totalSize = win.totalSize;
  const scrollToIndex = win.scrollToIndex;

  // Follow the tail while the user has not scrolled away from the end.
  const scrollToEnd = useRef(scrollToIndex);
  scrollToEnd.current = scrollToIndex;
  useLayoutEffect(() => {
    if (follow.current) scrollToEnd.current(count - 1, 'end');
  }, [count, scaled]);
  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    win.onScroll();
    follow.current = scaled
      ? win.atEnd()
      : el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_PX * 2;
  };
  // the wheel moves a scaled list by lines (a listener that may prevent the native scroll)
  const onWheel = win.onWheel;
  useEffect(() => {
    const el = scrollRef.current;
    if (!scaled || !el) return;
    const wheel = (e: WheelEvent) => {
      onWheel(e);
      follow.current = false;
    };
    el.addEventListener('wheel', wheel, { passive: false });
    return () => el.removeEventListener('wheel', wheel);
  }, [scaled, onWheel]);

  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  const onRange = source.onRange;
  useEffect(() => {
    if (onRange && last >= first) onRange(first, last);
  }, [onRange, first, last]);

  const hits = useMemo(() => source.find(query), [source, query]);
  useEffect(() => setHit(0), [query]);
  const goTo = (i: number) => {
    if (hits.length === 0) return;
    const n = ((i % hits.length) + hits.length) % hits.length;
    setHit(n);
    follow.current = false;
    scrollToIndex(hits[n]!, 'center');
  };
  const current = hits.length > 0 ? hits[Math.min(hit, hits.length - 1)] : -1;

  return (
    <div className={`output output-stream output-${name} output-stream-long`}>
      <div className="stream-bar">
        {summary ?? (
          <span className="muted" data-testid="stream-line-count">
            {count.toLocaleString('en-US')} lines
          </span>
        )}
        <input
          type="search"
          className="stream-search"
          placeholder="Find in output"
          aria-label="Find in output"
          title={searchNote}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              goTo(e.shiftKey ? hit - 1 : hit + 1);
            }
          }}
        />
        {query && (
          <span className="muted" data-testid="stream-hits" aria-live="polite">
            {hits.length === 0
              ? 'no match'
              : `${Math.min(hit, hits.length - 1) + 1} of ${hits.length.toLocaleString('en-US')}${hits.length >= 10_000 ? '+' : ''}`}
            {searchNote ? ` (${searchNote})` : ''}
          </span>
        )}
      </div>
      <div
        ref={scrollRef}
        className="output-stream-virtual"
        data-testid="stream-scroll"
        style={{ height: VIEW_LINES * LINE_PX }}
        onScroll={onScroll}
        onKeyDown={(e) => {
          if (scaled && win.onKeyDown(e)) follow.current = win.atEnd();
        }}
        tabIndex={0}
        role="log"
        aria-label={`${name} output, ${count} lines`}
      >
        <div style={{ height: totalSize, position: 'relative' }}>
          {items.map((row) => {
            const text = source.lineAt(row.index);
            return (
              <div
                key={row.index}
                className={`stream-line${row.index === current ? ' stream-line-hit' : ''}${text === undefined ? ' stream-line-pending' : ''}`}
                data-line={row.index + 1}
                style={{ top: row.top, height: LINE_PX }}
              >
                {text === undefined ? '…' : <AnsiText text={text} />}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
