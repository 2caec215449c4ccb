import { memo, useMemo, useRef } from 'react';
import { AnsiText } from './AnsiText';
import { EMPTY_INDEX, findLines, lineAt, lineCount, updateLineIndex } from './lineIndex';
import { VirtualLines, type LineSource } from './VirtualLines';

/** Up to this many lines render as plain text; longer streams scroll in a virtual list. */
export const PLAIN_LINES = 200;

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
  const source = useMemo<LineSource>(
    () => ({
      count,
      lineAt: (i) => lineAt(index, i),
      find: (query) => findLines(index, query),
    }),
    [index, count],
  );
  return <VirtualLines name={name} source={source} />;
}
