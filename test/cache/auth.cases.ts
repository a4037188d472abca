import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';
import { newUserInput } from '../helpers/factories.js';

/** The account screen: who is signed in. */
const ME = gql`
  query CacheMe {
    me {
      id
      username
      fullName
      timezone
      updatedAt
    }
  }
`;

const SESSION = 'accessToken tokenType expiresIn user { id username fullName timezone updatedAt }';

/** A second login session of the owner's, through REST: its refresh token (the case's own token stays valid). */
async function ownersOtherSession(env: CacheEnv): Promise<string> {
  const { username, password } = env.cast.owner.input;
  const r = await env.api.post('/api/auth/login', { username, password }, { form: true });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.refresh_token as string;
}

export const cases: CacheCases = [
  {
    key: 'Mutation.updateMe',
    setup: async () => null,
    queries: () => [{ query: ME }],
    mutation: () => ({
      mutation: gql`
        mutation CacheUpdateMe($input: UpdateMeInput!) {
          updateMe(input: $input) {
            user {
              id
              username
              fullName
              timezone
              updatedAt
            }
          }
        }
      `,
      variables: { input: { fullName: 'Renamed in the cache', timezone: 'Europe/Lisbon' } },
    }),
  },
  {
    // Signing someone else up changes nothing the signed-in screens show; the new user is written as its own object.
    key: 'Mutation.register',
    setup: async () => newUserInput(),
    queries: () => [{ query: ME }],
    mutation: (input: ReturnType<typeof newUserInput>) => ({
      mutation: gql`
        mutation CacheRegister($input: RegisterInput!) {
          register(input: $input) {
            user {
              id
              username
              fullName
            }
          }
        }
      `,
      variables: { input: { email: input.email, username: input.username, password: input.password } },
    }),
  },
  {
    // Logging in again as oneself: the payload's user is the cached `me`, as it is now.
    key: 'Mutation.login',
    setup: async () => null,
    queries: () => [{ query: ME }],
    mutation: (_: null, env) => ({
      mutation: gql`
        mutation CacheLogin($input: LoginInput!) {
          login(input: $input) {
            ${SESSION}
          }
        }
      `,
      variables: { input: { username: env.cast.owner.input.username, password: env.cast.owner.input.password } },
    }),
  },
  {
    key: 'Mutation.refreshToken',
    setup: ownersOtherSession,
    queries: () => [{ query: ME }],
    mutation: (refreshToken: string) => ({
      mutation: gql`
        mutation CacheRefreshToken($input: RefreshTokenInput!) {
          refreshToken(input: $input) {
            ${SESSION}
          }
        }
      `,
      variables: { input: { refreshToken } },
    }),
  },
  {
    // Ending another session of one's own leaves this one, and what it shows, as it was.
    key: 'Mutation.logout',
    setup: ownersOtherSession,
    queries: () => [{ query: ME }],
    mutation: (refreshToken: string) => ({
      mutation: gql`
        mutation CacheLogout($input: LogoutInput!) {
          logout(input: $input) {
            loggedOut
          }
        }
      `,
      variables: { input: { refreshToken } },
    }),
  },
];
