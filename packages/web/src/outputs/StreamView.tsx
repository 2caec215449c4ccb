import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { AnsiText } from './AnsiText';
import { EMPTY_INDEX, findLines, lineAt, lineCount, updateLineIndex } from './lineIndex';

/** Up to this many lines render as plain text; longer streams scroll in a virtual list. */
export const PLAIN_LINES = 200;
/** Height of one line in the virtual list (matches `.output-stream-virtual` line-height). */
const LINE_PX = 18;
/** The virtual list's height: about 30 lines, as JupyterLab's scrolled outputs. */
const VIEW_LINES = 30;

/**
 * A stream output (stdout/stderr). Short ones are a `<pre>`; long ones are a virtual list that
 * renders only the lines in view, so a million lines scroll smoothly and a growing output costs
 * only its new lines. While output streams in, the view follows the tail unless the user
 * scrolled up. Long outputs are searchable (lines containing the text, Enter for the next).
 */
export const StreamView = memo(function StreamView({
  name,
  text,
}: {
  name: 'stdout' | 'stderr';
  text: string;
}) {
  const indexRef = useRef(EMPTY_INDEX);
  const index = useMemo(() => (indexRef.current = updateLineIndex(indexRef.current, text)), [text]);
  const count = lineCount(index);
  if (count <= PLAIN_LINES) {
    return (
      <pre className={`output output-stream output-${name}`}>
        <AnsiText text={text} />
      </pre>
    );
  }
  return <VirtualStream name={name} index={index} count={count} />;
});

function VirtualStream({
  name,
  index,
  count,
}: {
  name: string;
  index: ReturnType<typeof updateLineIndex>;
  count: number;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const [query, setQuery] = useState('');
  const [hit, setHit] = useState(0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LINE_PX,
    overscan: 20,
  });

  // Follow the tail while the user has not scrolled away from the end.
  useLayoutEffect(() => {
    if (follow.current) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [count, virtualizer]);
  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_PX * 2;
  };

  const hits = useMemo(() => findLines(index, query), [index, query]);
  useEffect(() => setHit(0), [query]);
  const goTo = (i: number) => {
    if (hits.length === 0) return;
    const n = ((i % hits.length) + hits.length) % hits.length;
    setHit(n);
    follow.current = false;
    virtualizer.scrollToIndex(hits[n]!, { align: 'center' });
  };
  const current = hits.length > 0 ? hits[Math.min(hit, hits.length - 1)] : -1;

  return (
    <div className={`output output-stream output-${name} output-stream-long`}>
      <div className="stream-bar">
        <span className="muted" data-testid="stream-line-count">
          {count.toLocaleString('en-US')} lines
        </span>
        <input
          type="search"
          className="stream-search"
          placeholder="Find in output"
          aria-label="Find in output"
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
          </span>
        )}
      </div>
      <div
        ref={scrollRef}
        className="output-stream-virtual"
        data-testid="stream-scroll"
        style={{ height: VIEW_LINES * LINE_PX }}
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label={`${name} output, ${count} lines`}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((row) => (
            <div
              key={row.index}
              className={`stream-line${row.index === current ? ' stream-line-hit' : ''}`}
              data-line={row.index + 1}
              style={{ transform: `translateY(${row.start}px)`, height: LINE_PX }}
            >
              <AnsiText text={lineAt(index, row.index)} />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
