/**
 * Which link and image targets markdown may use. Links: http(s), mailto, relative and #anchors.
 * Images: the same, plus inline raster `data:` images (Jupyter attachments are inlined so).
 * Everything else (`javascript:`, `data:text/html`, `vbscript:` …) is dropped.
 */
export function safeHref(href: string): string | null {
  const h = href.trim();
  // URL parsers drop control characters, tabs and newlines ("java\tscript:"): refuse them all.
  if (h === '' || [...h].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f))
    return null;
  if (/^(https?:|mailto:)/i.test(h)) return h;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) return null; // any other scheme
  return h; // relative or #anchor
}

const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/i;

/** `urlTransform` for react-markdown: `key` is the attribute (`href`, `src`). */
export function markdownUrl(url: string, key: string): string | null {
  if (key === 'src' && DATA_IMAGE.test(url)) return url;
  return safeHref(url);
}
