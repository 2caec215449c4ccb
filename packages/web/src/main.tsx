import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiError } from '@spin/client';
import { App } from './app/App';
import { applyTheme } from './app/theme';
import './styles.css';

applyTheme();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not get better by asking again; network hiccups might.
      retry: (count, err) =>
        !(err instanceof ApiError && err.status !== null && err.status < 500) && count < 2,
      // Each page asks again when it opens (showing what is cached meanwhile): pages share
      // keys (the workspace list is on most of them), and what another user or tab changed a
      // moment ago must show when you get there. Queries that must not refetch say so.
      staleTime: 0,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
