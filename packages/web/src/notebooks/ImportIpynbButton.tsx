import { useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { navigate, notebookPath } from '../app/routing';
import { keys } from '../app/queryKeys';

/** The notebook title for an uploaded file: its name without the extension. */
export function titleFromFileName(name: string): string | undefined {
  const title = name.replace(/\.ipynb$/i, '').trim();
  return title === '' ? undefined : title.slice(0, 300);
}

/**
 * "Import .ipynb": a file picker whose file goes to the server as it is (the server validates
 * it and names what is wrong); on success the new notebook opens.
 */
export function ImportIpynbButton({ onError }: { onError: (error: ErrorInfo | null) => void }) {
  const queryClient = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [importing, setImporting] = useState(false);

  const importFile = async (file: File) => {
    setImporting(true);
    onError(null);
    try {
      const [workspace] = await api.listWorkspaces();
      if (!workspace) throw new Error('you are not a member of any workspace');
      const nb = await api.importIpynb(
        workspace.id,
        await file.text(),
        titleFromFileName(file.name),
      );
      void queryClient.invalidateQueries({ queryKey: keys.notebooks.all });
      navigate(notebookPath(nb.id));
    } catch (err) {
      onError(toErrorInfo(err));
      setImporting(false);
    }
  };

  return (
    <>
      <input
        ref={input}
        type="file"
        accept=".ipynb,application/x-ipynb+json,application/json"
        data-testid="import-ipynb-file"
        hidden
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void importFile(file);
        }}
      />
      <button
        type="button"
        className="btn"
        data-testid="import-ipynb"
        disabled={importing}
        onClick={() => input.current?.click()}
      >
        {importing ? 'Importing…' : 'Import .ipynb'}
      </button>
    </>
  );
}
