import { z } from 'zod';
import { DEFAULT_TIME_RANGE, TimeRangeSchema } from './timeRange.js';

/** Notebook-wide settings stored with the notebook. */
export const NotebookSettingsSchema = z.object({
  /** The notebook's time range; integration cells use it unless they override it. */
  timeRange: TimeRangeSchema.default(DEFAULT_TIME_RANGE),
});
export type NotebookSettings = z.infer<typeof NotebookSettingsSchema>;
