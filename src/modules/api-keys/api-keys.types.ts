import ipaddr from 'ipaddr.js';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { pageSchema } from '../../common/pagination.js';
import { ApiKeyScope, SCOPES, type Scope } from '../../common/scopes.js';
import { fields, str } from '../../common/validation.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { connectionType } from '../../graphql/relay.js';
import { User } from '../users/index.js';
import { ApiKey } from './api-keys.entities.js';

const ipOrCidr = str()
  .trim()
  .max(64)
  .refine((v) => (v.includes('/') ? ipaddr.isValidCIDR(v) : ipaddr.isValid(v)), 'must be an IP address or a CIDR range such as 203.0.113.0/24');

export const createApiKeySchema = z.object({
  name: fields.text(100).pipe(z.string().min(1, 'must not be empty')),
  organizationId: str().uuid('must be an id'),
  scopes: z
    .array(ApiKeyScope.schema, { error: 'must be a list of scopes' })
    .min(1, 'must name at least one scope')
    .max(SCOPES.length)
    .transform((s) => [...new Set(s)]),
  // "In the future" is checked by the service, against its clock.
  expiresAt: fields.instant().nullish(),
  allowedIps: z.array(ipOrCidr, { error: 'must be a list of IP addresses or CIDR ranges' }).max(50, 'at most 50 entries').nullish(),
}).meta({ id: 'APIKeyCreateRequest' });
export type CreateApiKeyData = z.input<typeof createApiKeySchema>;

export const listApiKeysSchema = z.object({ organizationId: str().uuid('must be an id').nullish() });
/** REST's list of keys: the same filter, a page at a time (`limit`, `offset`). */
export const listApiKeysPageSchema = listApiKeysSchema.extend(pageSchema.shape);

/** The key to revoke: any string, so that an unknown one is not_found, as REST's path answers. */
const revokeApiKeySchema = z.object({ id: str() });

@ValidatedBy(createApiKeySchema)
@InputType({ description: 'A new API key for one organization.' })
export class CreateApiKeyInput {
  @Field(() => String, { description: 'A name to recognise it by, 1 to 100 characters.' })
  name!: string;

  @Field(() => ID, { description: 'The organization it acts in; you must be a member.' })
  organizationId!: string;

  @Field(() => [ApiKeyScope.graphql], { description: 'What it may do (at least one); repeated scopes count once.' })
  scopes!: Scope[];

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it stops working (in the future); absent or null: never.' })
  expiresAt?: Date | string | null;

  @Field(() => [String], { nullable: true, description: 'IP addresses or CIDR ranges it may be used from (at most 50); empty or absent: anywhere.' })
  allowedIps?: string[] | null;
}

@ValidatedBy(revokeApiKeySchema)
@InputType({ description: 'The API key to revoke.' })
export class RevokeApiKeyInput {
  @Field(() => ID, { description: 'The key.' })
  id!: string;
}

export const ApiKeyConnection = connectionType<ApiKey>('ApiKey', () => ApiKey, 'newest first');

@ObjectType({ description: 'What createApiKey changed: the new key, and the key itself, shown this once.' })
export class CreateApiKeyPayload {
  @Field(() => ApiKey, { description: 'The new key.' })
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The full key (xntr- and 86 characters), to send as X-API-Key, as REST answers it as `key`. It is shown this once and cannot be recovered.' })
  key!: string;

  @Field(() => User, { description: 'You: your `apiKeys` now include it.' })
  viewer!: User;

  @Field(() => QueryRoot, { description: `${QUERY_ROOT_DESCRIPTION} The root's \`apiKeys\` now include it.` })
  query!: QueryRoot;
}

@ObjectType({ description: 'What revokeApiKey changed.' })
export class RevokeApiKeyPayload {
  @Field(() => ID, { description: 'The id of the revoked key: it is in no list or lookup any more, and stops working at once.' })
  deletedId!: string;

  @Field(() => User, { description: 'You: your `apiKeys` no longer include it.' })
  viewer!: User;

  @Field(() => QueryRoot, { description: `${QUERY_ROOT_DESCRIPTION} The root's \`apiKeys\` no longer include it.` })
  query!: QueryRoot;
}
