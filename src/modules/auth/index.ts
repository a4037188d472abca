import type { ModuleManifest } from '../manifest.js';
import { authRoutes } from './auth.rest.js';
import { AuthResolver } from './auth.resolver.js';
import { LoginSession } from './login-session.entity.js';
import { RefreshToken } from './refresh-token.entity.js';

export const authModule: ModuleManifest = {
  name: 'auth',
  entities: [LoginSession, RefreshToken],
  resolvers: [AuthResolver],
  routes: authRoutes,
};
