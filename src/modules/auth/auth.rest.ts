import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import { toUserProfile, userProfileSchema } from '../users/index.js';
import { loginSchema, logoutSchema, refreshSchema, registerSchema, TokenType, type TokenPair } from './auth.types.js';
import type { ServiceMap } from '../manifest.js';

/**
 * The largest body the sign-in routes read: anyone may send one (before any credentials), and a
 * megabyte of distinct keys held the event loop 0.3–0.5 s to parse; their fields fit in a few KB.
 */
const PUBLIC_BODY_BYTES = 16 * 1024;

/** `TokenResponse` of the contract. */
const tokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: TokenType.schema,
  refresh_token: z.string(),
  expires_in: z.number().int(),
}).meta({ id: 'TokenResponse', description: 'The tokens of a login: an access token to send as a bearer token, and a refresh token that works once.', examples: [{ access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…', token_type: 'bearer', refresh_token: 'rt_7Qm2…', expires_in: 900 }] });

const toTokenResponse = (p: TokenPair): z.infer<typeof tokenResponseSchema> => ({
  access_token: p.accessToken,
  token_type: p.tokenType,
  refresh_token: p.refreshToken,
  expires_in: p.expiresIn,
});

const tokenResponse = { status: 200, description: 'TokenResponse', schema: tokenResponseSchema, serialize: toTokenResponse } as const;

export const authRoutes = (s: Pick<ServiceMap, 'auth'>): RestRoute[] => [
  defineRoute({
    method: 'POST',
    path: '/api/auth/register',
    operationId: 'register',
    rateLimits: ['register_ip', 'register_account'],
    summary: 'Create an account',
    tag: 'Authentication',
    auth: 'public',
    body: { schema: registerSchema, required: true, maxBytes: (c) => Math.min(c.bodyLimitBytes, PUBLIC_BODY_BYTES) },
    handler: (ctx, { body }) => s.auth.register(ctx, body),
    response: { status: 201, description: 'UserProfile', schema: userProfileSchema, serialize: toUserProfile },
    errors: ['conflict'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/auth/login',
    operationId: 'login',
    rateLimits: ['login_ip', 'login_account', 'login_account_ip'],
    summary: 'Log in with username (or email) and password',
    description: 'Form-encoded as documented; JSON is accepted too.',
    tag: 'Authentication',
    auth: 'public',
    body: { schema: loginSchema, required: true, contentTypes: ['application/x-www-form-urlencoded', 'application/json'], maxBytes: (c) => Math.min(c.bodyLimitBytes, PUBLIC_BODY_BYTES) },
    handler: (ctx, { body }) => s.auth.login(ctx, body),
    response: tokenResponse,
    errors: ['invalid_credentials'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/auth/refresh',
    operationId: 'refresh',
    summary: 'Rotate a refresh token',
    description: 'A refresh token works once. Presenting a used one revokes its whole login session.',
    tag: 'Authentication',
    auth: 'public',
    body: { schema: refreshSchema, required: true, contentTypes: ['application/json', 'application/x-www-form-urlencoded'], maxBytes: (c) => Math.min(c.bodyLimitBytes, PUBLIC_BODY_BYTES) },
    handler: (ctx, { body }) => s.auth.refresh(ctx, body),
    response: tokenResponse,
    errors: ['invalid_token'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/auth/logout',
    operationId: 'logout',
    summary: 'End a login session',
    description: 'Ends the session of refresh_token when given, else the session of the bearer access token.',
    tag: 'Authentication',
    auth: 'optional',
    body: { schema: logoutSchema, required: false, maxBytes: (c) => Math.min(c.bodyLimitBytes, PUBLIC_BODY_BYTES) },
    handler: (ctx, { body }) => s.auth.logout(ctx, body),
    response: { status: 204, description: 'Logged out' },
    errors: ['not_authenticated'],
  }),
];
