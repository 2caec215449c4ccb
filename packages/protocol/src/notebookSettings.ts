import { z } from 'zod';
import { TemplateVariablesSchema } from './templateVariables.js';
import { DEFAULT_TIME_RANGE, TimeRangeSchema } from './timeRange.js';

/** Notebook-wide settings stored with the notebook. */
export const NotebookSettingsSchema = z.object({
  /** The notebook's time range; integration cells use it unless they override it. */
  timeRange: TimeRangeSchema.default(DEFAULT_TIME_RANGE),
  /** Template variables (`{{name}}` in cells), resolved when a session starts (none: absent). */
  templateVariables: TemplateVariablesSchema.optional(),
});
export type NotebookSettings = z.infer<typeof NotebookSettingsSchema>;
