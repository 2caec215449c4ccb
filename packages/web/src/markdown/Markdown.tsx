import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeKatex from 'rehype-katex';
import remarkGfm from 'remark-gfm';
import remarkMath from 'remark-math';
import 'katex/dist/katex.min.css';
import { markdownUrl } from './safeUrl';

const remarkPlugins = [remarkGfm, remarkMath];
// KaTeX never runs scripts; `trust: false` keeps \href/\url and \htmlClass-style commands off.
const rehypePlugins = [[rehypeKatex, { throwOnError: false, trust: false, strict: 'ignore' }]] as [
  typeof rehypeKatex,
  object,
][];

const components: Components = {
  // Links open in a new tab without giving it a handle on this page.
  a: ({ node: _node, href, children, ...rest }) =>
    href ? (
      <a {...rest} href={href} target="_blank" rel="noopener noreferrer">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  // Images load lazily and never send a referrer to the host that serves them.
  img: ({ node: _node, src, alt, ...rest }) =>
    src ? (
      <img {...rest} src={src} alt={alt ?? ''} loading="lazy" referrerPolicy="no-referrer" />
    ) : null,
  pre: ({ node: _node, ...rest }) => <pre className="md-code" {...rest} />,
  table: ({ node: _node, ...rest }) => (
    <div className="md-table-wrap">
      <table {...rest} />
    </div>
  ),
};

/**
 * Markdown as React elements, never as HTML: CommonMark + GitHub's tables, task lists,
 * strikethrough and autolinks (remark-gfm), and `$…$` / `$$…$$` math (KaTeX). Raw HTML in the
 * source is shown as nothing (`skipHtml`), unsafe link and image targets are dropped.
 */
export const Markdown = memo(function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={remarkPlugins}
        rehypePlugins={rehypePlugins}
        components={components}
        urlTransform={markdownUrl}
        skipHtml
      >
        {source}
      </ReactMarkdown>
    </div>
  );
});
