import { useEffect } from 'react';

/** The browser tab's title for this page: `What · SPIN` (just `SPIN` with no name). */
export function useDocumentTitle(what: string | null | undefined): void {
  useEffect(() => {
    document.title = what ? `${what} · SPIN` : 'SPIN';
  }, [what]);
}
