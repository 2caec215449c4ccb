import { useState } from 'react';
import { JsonView, type Props as JsonViewProps } from 'react-json-view-lite';

type JsonStyle = NonNullable<JsonViewProps['style']>;

/** The tree's own classes (coloured from the theme's syntax variables in styles.css). */
const STYLE: JsonStyle = {
  container: 'json-tree',
  basicChildStyle: 'json-tree-child',
  label: 'json-tree-label',
  clickableLabel: 'json-tree-label json-tree-clickable',
  nullValue: 'json-tree-null',
  undefinedValue: 'json-tree-null',
  numberValue: 'json-tree-number',
  stringValue: 'json-tree-string',
  booleanValue: 'json-tree-boolean',
  otherValue: 'json-tree-other',
  punctuation: 'json-tree-punctuation',
  expandIcon: 'json-tree-icon json-tree-expand',
  collapseIcon: 'json-tree-icon json-tree-collapse',
  collapsedContent: 'json-tree-collapsed',
  childFieldsContainer: 'json-tree-fields',
  ariaLables: { collapseJson: 'Collapse', expandJson: 'Expand' },
  stringifyStringValues: true,
};

/** Past this much text only the top level starts open (a big document opens fast). */
const BIG = 64 * 1024;

/**
 * `application/json` output as a collapsible tree (arrow keys move and open, as in a tree
 * view), with the raw text one click away for copying. Scalars have nothing to fold: text.
 */
export function JsonTree({ value, text }: { value: unknown; text: string }) {
  const [raw, setRaw] = useState(false);
  if (value === null || typeof value !== 'object') {
    return <pre className="output output-json">{text}</pre>;
  }
  const openLevels = text.length > BIG ? 1 : 2;
  return (
    <div className="output output-json-tree" data-testid="json-tree">
      <div className="json-tree-bar">
        <button
          type="button"
          className="btn btn-small"
          aria-pressed={raw}
          onClick={() => setRaw(!raw)}
        >
          {raw ? 'Tree' : 'Raw JSON'}
        </button>
      </div>
      {raw ? (
        <pre className="output-json">{text}</pre>
      ) : (
        <JsonView
          data={value}
          style={STYLE}
          shouldExpandNode={(level) => level < openLevels}
          aria-label="JSON output"
        />
      )}
    </div>
  );
}
