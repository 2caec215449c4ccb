import { useState } from 'react';
import { api, toErrorInfo } from '../app/api';

/** A file name for the download (the server names the file too; browsers prefer `download`). */
function downloadName(title: string): string {
  const base = title
    .replace(/[^A-Za-z0-9._ -]+/g, '')
    .trim()
    .replace(/\s+/g, '-');
  return `${base || 'notebook'}.ipynb`;
}

/** "Export .ipynb": downloads the saved notebook as an nbformat 4.5 file. */
export function ExportIpynbButton({ notebookId, title }: { notebookId: string; title: string }) {
  const [error, setError] = useState<string | null>(null);
  const exportFile = async () => {
    setError(null);
    try {
      const text = await api.exportIpynb(notebookId);
      const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ipynb+json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = downloadName(title);
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      const info = toErrorInfo(err);
      setError(`${info.code}: ${info.message}`);
    }
  };
  return (
    <button
      type="button"
      className="btn"
      data-testid="export-ipynb"
      title={error ?? 'Download as a Jupyter notebook (.ipynb)'}
      onClick={() => void exportFile()}
    >
      {error ? 'Export failed' : 'Export .ipynb'}
    </button>
  );
}
