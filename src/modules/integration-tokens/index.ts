import { resolver, service, type ModuleManifest } from '../manifest.js';
import { IntegrationSigningKey, IntegrationToken } from './integration-tokens.entities.js';
import { IntegrationKeyFingerprintRefs, IntegrationTokenClaimsRefs, IntegrationTokenGrantRefs, IntegrationTokenRevocationRefs, IntegrationTokensResolver } from './integration-tokens.resolver.js';
import { integrationTokensRoutes } from './integration-tokens.rest.js';
import { IntegrationTokensService } from './integration-tokens.service.js';

export { IntegrationTokensService };
export { INTEGRATION_AUDIENCE, INTEGRATION_TOKEN_TYPE } from './integration-tokens.service.js';

declare module '../manifest.js' {
  interface ServiceMap {
    integrationTokens: IntegrationTokensService;
  }
}

/** Integration tokens: per-tenant RS256 keys, grants that act as bearer credentials, their JWKS and revocations. */
export const integrationTokensModule: ModuleManifest = {
  name: 'integration-tokens',
  entities: [IntegrationSigningKey, IntegrationToken],
  services: [
    service('integrationTokens', ['config', 'clock', 'events', 'organizations'], ({ config, clock, events, organizations }) => {
      const tokens = new IntegrationTokensService(config, clock, events);
      // A member's grants end with their membership, an organization's with it.
      organizations.onMembershipEnd((em, organizationId, userId) => tokens.revokeForMembershipEnd(em, organizationId, userId));
      organizations.onDelete((em, organizationId) => tokens.revokeForOrganizationDelete(em, organizationId));
      return tokens;
    }),
  ],
  resolvers: [
    resolver(IntegrationTokensResolver, (s) => new IntegrationTokensResolver(s.integrationTokens)),
    resolver(IntegrationTokenGrantRefs, (s) => new IntegrationTokenGrantRefs(s.organizations)),
    resolver(IntegrationTokenClaimsRefs, (s) => new IntegrationTokenClaimsRefs(s.organizations)),
    resolver(IntegrationKeyFingerprintRefs, (s) => new IntegrationKeyFingerprintRefs(s.organizations)),
    resolver(IntegrationTokenRevocationRefs, (s) => new IntegrationTokenRevocationRefs(s.organizations)),
  ],
  routes: integrationTokensRoutes,
};
