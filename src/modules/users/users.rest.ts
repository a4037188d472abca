import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { User } from './users.entities.js';
import { updateMeSchema } from './users.types.js';
import type { ServiceMap } from '../manifest.js';

/** `UserProfile` of the contract. */
export const userProfileSchema = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string(),
  full_name: z.string().nullable(),
  nickname: z.string().nullable(),
  preferred_language: z.string(),
  timezone: z.string(),
  avatar_url: z.string().nullable(),
  plan: z.string(),
  public_profile: z.boolean(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
}).meta({ id: 'UserProfile', description: 'The signed-in user\'s profile.', examples: [{ id: '5f0c8e9a-3b7d-4c1e-9a2f-1d6b7c8e9f01', email: 'ada@example.com', username: 'ada', full_name: 'Ada Lovelace', nickname: 'Ada', preferred_language: 'en', timezone: 'Europe/London', avatar_url: null, plan: 'free', public_profile: false, created_at: '2026-03-02T09:15:00Z', updated_at: '2026-03-02T09:15:00Z' }] });

export const toUserProfile = (u: User): z.infer<typeof userProfileSchema> => ({
  id: u.id,
  email: u.email,
  username: u.username,
  full_name: u.fullName,
  nickname: u.nickname,
  preferred_language: u.preferredLanguage,
  timezone: u.timezone,
  avatar_url: u.avatarUrl,
  plan: u.plan,
  public_profile: u.publicProfile,
  created_at: u.createdAt.toISOString(),
  updated_at: u.updatedAt.toISOString(),
});

export const usersRoutes = (s: Pick<ServiceMap, 'users'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/auth/me',
    operationId: 'getMe',
    summary: 'The authenticated user',
    tag: 'Authentication',
    auth: 'bearer',
    handler: (ctx) => s.users.me(ctx),
    response: { status: 200, description: 'UserProfile', schema: userProfileSchema, serialize: toUserProfile },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/auth/me',
    operationId: 'updateMe',
    rateLimits: ['reauth_session', 'login_account', 'login_account_ip'],
    summary: 'Change the profile or the password',
    description: 'new_password and a new email need current_password (throttled with failed logins: per session, per address, per account); a new password ends every other login session.',
    tag: 'Authentication',
    auth: 'bearer',
    body: { schema: updateMeSchema, required: true },
    handler: (ctx, { body }) => s.users.updateMe(ctx, body),
    response: { status: 200, description: 'UserProfile', schema: userProfileSchema, serialize: toUserProfile },
    errors: ['invalid_credentials', 'conflict', 'rate_limited'],
  }),
];
