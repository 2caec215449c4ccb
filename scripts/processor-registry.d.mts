/** Processor folders in a directory, sorted. */
export function processorFolders(dir: string): string[];
/** The generated registry files (absolute path → content). */
export function generatedFiles(): Record<string, string>;
