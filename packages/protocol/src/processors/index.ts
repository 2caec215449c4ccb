export * from './manifest.js';
export * from './registry.js';
export * from './cellTypes.js';
export * from './compile.js';
export * from './sqlTemplates.js';
