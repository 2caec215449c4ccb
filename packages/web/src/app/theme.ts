import { useSyncExternalStore } from 'react';

/** What the user picked: follow the system, or a fixed theme. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

/** localStorage key; `public/theme-init.js` reads the same key before the first paint. */
export const THEME_KEY = 'spin.theme';

const listeners = new Set<() => void>();
const media = () =>
  typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

export function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function resolveTheme(choice: ThemeChoice): Theme {
  if (choice !== 'system') return choice;
  return media()?.matches ? 'dark' : 'light';
}

/** Sets `data-theme` on <html> (the stylesheet's switch) and the page's color-scheme. */
export function applyTheme(choice: ThemeChoice = readChoice()): Theme {
  const theme = resolveTheme(choice);
  document.documentElement.dataset.theme = theme;
  document.querySelector('meta[name="color-scheme"]')?.setAttribute('content', theme);
  return theme;
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // private mode: the choice lasts for this page only
  }
  current = { choice, theme: applyTheme(choice) };
  for (const l of listeners) l();
}

let current: { choice: ThemeChoice; theme: Theme } | null = null;
function snapshot() {
  current ??= { choice: readChoice(), theme: resolveTheme(readChoice()) };
  return current;
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  const m = media();
  // a system change matters while the choice is "system"
  const onSystem = () => {
    if (snapshot().choice === 'system') setThemeChoice('system');
  };
  m?.addEventListener('change', onSystem);
  return () => {
    listeners.delete(listener);
    m?.removeEventListener('change', onSystem);
  };
}

/** The theme in force and the user's choice; re-renders when either changes. */
export function useTheme(): { choice: ThemeChoice; theme: Theme } {
  return useSyncExternalStore(subscribe, snapshot);
}
