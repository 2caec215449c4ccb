// Applies the saved theme before the first paint, so a dark page never flashes light
// (src/app/theme.ts does the same at run time; same key, same rule).
(function () {
  var choice = null;
  try {
    choice = localStorage.getItem('spin.theme');
  } catch {
    // no storage: follow the system
  }
  var dark =
    choice === 'dark' ||
    (choice !== 'light' && window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
})();
