import { randomBytes } from 'node:crypto';
import type { RestClient } from './http.js';

export const PASSWORD = 'correct horse battery';

let n = 0;
/** A fresh, valid registration body. */
export function newUserInput(overrides: Record<string, unknown> = {}) {
  const id = `${process.pid}${++n}${randomBytes(2).toString('hex')}`;
  return { email: `user${id}@example.com`, username: `user_${id}`, password: PASSWORD, full_name: `User ${id}`, ...overrides };
}

/** Registers and logs in through REST; returns the profile and tokens. */
export async function signUp(api: RestClient, overrides: Record<string, unknown> = {}) {
  const input = newUserInput(overrides);
  const reg = await api.post('/api/auth/register', input);
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await api.post('/api/auth/login', { username: input.username, password: input.password }, { form: true });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    input,
    user: reg.body as { id: string; email: string; username: string },
    accessToken: login.body.access_token as string,
    refreshToken: login.body.refresh_token as string,
  };
}
