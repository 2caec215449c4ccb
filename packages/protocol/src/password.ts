import { z } from 'zod';
import { PasswordSchema } from './api.js';

/** `POST /api/v1/auth/password`: change the signed-in user's password. */
export const ChangePasswordRequestSchema = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: PasswordSchema,
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequestSchema>;
