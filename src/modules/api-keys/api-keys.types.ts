import ipaddr from 'ipaddr.js';
import { Field, InputType, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { SCOPES } from '../../common/scopes.js';
import { fields, str } from '../../common/validation.js';
import { ApiKey } from './api-key.entity.js';

const ipOrCidr = str()
  .trim()
  .max(64)
  .refine((v) => (v.includes('/') ? ipaddr.isValidCIDR(v) : ipaddr.isValid(v)), 'must be an IP address or a CIDR range such as 203.0.113.0/24');

export const createApiKeySchema = z.object({
  name: fields.text(100).pipe(z.string().min(1, 'must not be empty')),
  organizationId: str().uuid('must be an id'),
  scopes: z
    .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }), { error: 'must be a list of scopes' })
    .min(1, 'must name at least one scope')
    .max(SCOPES.length)
    .transform((s) => [...new Set(s)]),
  expiresAt: z.coerce
    .date({ error: 'must be an ISO-8601 date-time' })
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .nullish(),
  allowedIps: z.array(ipOrCidr, { error: 'must be a list of IP addresses or CIDR ranges' }).max(50, 'at most 50 entries').nullish(),
});
/** Unchecked input: the service validates it. */
export type CreateApiKeyData = { [K in keyof z.input<typeof createApiKeySchema>]?: unknown };

export const listApiKeysSchema = z.object({ organizationId: str().uuid('must be an id').nullish() });

@InputType()
export class CreateApiKeyInput {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  organizationId!: string;

  @Field(() => [String], { description: 'Scopes such as organizations:read; see the API documentation.' })
  scopes!: string[];

  @Field(() => String, { nullable: true, description: 'ISO-8601; the key stops working then.' })
  expiresAt?: string | null;

  @Field(() => [String], { nullable: true, description: 'IP addresses or CIDR ranges; empty or absent: anywhere.' })
  allowedIps?: string[] | null;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The full key. It is shown this once and cannot be recovered.' })
  key!: string;
}
