import { AppError } from './errors.js';

/** Who is calling. API keys join this union in the permission model. */
export type Principal = {
  kind: 'user';
  userId: string;
  /** The login session the access token belongs to. */
  sessionId: string;
};

/** Credentials as they arrived, before anyone checked them. */
export interface Credentials {
  authorization?: string | undefined;
}
