import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { fields, str } from '../../common/validation.js';
import { Membership, OrgRole } from './membership.entity.js';
import { Organization } from './organization.entity.js';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const slug = str().trim().toLowerCase().regex(SLUG_PATTERN, 'must be 1-64 lower-case letters, digits or hyphens, not starting or ending with a hyphen');
const name = fields.text(100).pipe(z.string().min(1, 'must not be empty'));
const description = fields.text(1000).nullish();
const uuid = str().uuid('must be an id');
const role = z.enum(['owner', 'admin', 'member'], { error: 'must be owner, admin or member' });

export const createOrganizationSchema = z.object({ name, slug: slug.nullish(), description });
export type CreateOrganizationData = z.input<typeof createOrganizationSchema>;

export const updateOrganizationSchema = z.object({ name: name.optional(), slug: slug.optional(), description });
export type UpdateOrganizationData = z.input<typeof updateOrganizationSchema>;

export const addMemberSchema = z
  .object({
    email: fields.email.nullish(),
    userId: uuid.nullish(),
    role: role.default('member'),
    teamId: uuid.nullish(),
  })
  .superRefine((v, ctx) => {
    if (!v.email === !v.userId) ctx.addIssue({ code: 'custom', path: ['email'], message: 'give exactly one of email or user_id' });
  });
export type AddMemberData = z.input<typeof addMemberSchema>;

export const updateMemberSchema = z.object({ role: role.optional(), teamId: uuid.nullish() });
export type UpdateMemberData = z.input<typeof updateMemberSchema>;

export const teamSchema = z.object({ name });
export type TeamData = z.input<typeof teamSchema>;

@InputType()
export class CreateOrganizationInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Derived from the name when absent.' })
  slug?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType()
export class UpdateOrganizationInput {
  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  slug?: string;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType()
export class AddMemberInput {
  @Field(() => String, { nullable: true, description: 'Give the email or the user id.' })
  email?: string | null;

  @Field(() => String, { nullable: true })
  userId?: string | null;

  @Field(() => OrgRole, { nullable: true, defaultValue: OrgRole.member })
  role?: OrgRole;

  @Field(() => String, { nullable: true })
  teamId?: string | null;
}

@InputType()
export class UpdateMemberInput {
  @Field(() => OrgRole, { nullable: true })
  role?: OrgRole;

  @Field(() => String, { nullable: true, description: 'null takes the member out of their team.' })
  teamId?: string | null;
}

@ObjectType()
export class OrganizationPage {
  @Field(() => Int)
  total!: number;

  @Field(() => [Organization])
  items!: Organization[];
}

@ObjectType()
export class MemberPage {
  @Field(() => Int)
  total!: number;

  @Field(() => [Membership])
  items!: Membership[];
}
