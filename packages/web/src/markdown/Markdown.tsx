import { memo, useMemo, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from './markdown';

function renderInline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text':
        return n.text;
      case 'code':
        return <code key={i}>{n.text}</code>;
      case 'strong':
        return <strong key={i}>{renderInline(n.children)}</strong>;
      case 'em':
        return <em key={i}>{renderInline(n.children)}</em>;
      case 'link':
        return n.href ? (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {renderInline(n.children)}
          </a>
        ) : (
          <span key={i}>{renderInline(n.children)}</span>
        );
    }
  });
}

function renderBlock(b: Block, i: number): ReactNode {
  switch (b.t) {
    case 'heading': {
      const H = `h${b.level}` as const;
      return <H key={i}>{renderInline(b.children)}</H>;
    }
    case 'paragraph':
      return <p key={i}>{renderInline(b.children)}</p>;
    case 'code':
      return (
        <pre key={i} className="md-code">
          <code>{b.text}</code>
        </pre>
      );
    case 'list': {
      const items = b.items.map((it, j) => <li key={j}>{renderInline(it)}</li>);
      return b.ordered ? (
        <ol key={i} start={b.start}>
          {items}
        </ol>
      ) : (
        <ul key={i}>{items}</ul>
      );
    }
    case 'quote':
      return <blockquote key={i}>{b.children.map(renderBlock)}</blockquote>;
    case 'hr':
      return <hr key={i} />;
  }
}

/** Renders Markdown source as React elements (never as HTML). */
export const Markdown = memo(function Markdown({ source }: { source: string }) {
  const blocks = useMemo(() => parseMarkdown(source), [source]);
  return <div className="markdown">{blocks.map(renderBlock)}</div>;
});
