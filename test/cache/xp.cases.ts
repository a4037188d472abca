import { randomUUID } from 'node:crypto';
import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';

/** The streak screen: the profile and the streak status; the payload returns both, and them again under `query`. */
const PROFILE = 'xpProfile { id tokenBalance currentStreak longestStreak }';
const STREAK = 'xpStreakStatus { tokenBalance freezesAvailable freezesUsed freezePriceTokens currentStreak longestStreak streakAtRisk }';
const STREAK_SCREEN = gql`
  query CacheXpStreak {
    ${PROFILE}
    ${STREAK}
  }
`;

/** Gives the owner tokens to spend (what quests would have paid), as test/xp.test.ts does. */
async function wallet(env: CacheEnv): Promise<null> {
  const conn = env.server.app.orm.em.fork().getConnection();
  const now = env.server.config.db.driver === 'sqlite' ? Date.now() : new Date();
  await conn.execute(
    'insert into xp_wallets (id, user_id, token_balance, freezes_held, freezes_used, created_at, updated_at) values (?, ?, ?, 0, 0, ?, ?) on conflict (user_id) do update set token_balance = excluded.token_balance, freezes_held = excluded.freezes_held',
    [randomUUID(), env.cast.owner.user.id, 1000, now, now],
  );
  return null;
}

export const cases: CacheCases = [
  {
    key: 'Mutation.buyStreakFreeze',
    setup: wallet,
    queries: () => [{ query: STREAK_SCREEN }],
    mutation: () => ({
      mutation: gql`
        mutation CacheBuyStreakFreeze {
          buyStreakFreeze {
            profile { id tokenBalance currentStreak longestStreak }
            streakStatus { tokenBalance freezesAvailable freezesUsed freezePriceTokens currentStreak longestStreak streakAtRisk }
            query {
              ${PROFILE}
              ${STREAK}
            }
          }
        }
      `,
      variables: {},
    }),
  },
];
