import { Field, InputType, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { fields, str } from '../../common/validation.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { User } from './users.entities.js';

/**
 * Whether `tz` is an IANA time zone this runtime knows (one check for every door that sets one).
 * Intl also takes UTC offsets (`+05:30`, `-23:59`): they name no zone (days and DST follow none)
 * and reach past the −12h…+14h that local days are counted in, so they are refused.
 */
export const isTimeZone = (tz: string): boolean => {
  if (/^[+-]/.test(tz.trim())) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/**
 * A profile change. Absent or null leaves a field as it is, except `fullName` and
 * `avatarUrl`, which null clears.
 */
export const updateMeSchema = z
  .object({
    fullName: fields.text(200).nullish(),
    username: fields.username.nullish(),
    email: fields.email.nullish(),
    preferredLanguage: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "pt-BR"')
      .nullish(),
    timezone: str().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"').nullish(),
    avatarUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048, 'must be at most 2048 characters')
      .nullish(),
    publicProfile: z.boolean({ error: 'must be true or false' }).nullish(),
    /** Re-authentication: required (by the service) to change the email or the password. */
    currentPassword: str().max(256).nullish(),
    newPassword: fields.password.nullish(),
  }).meta({ id: 'UserProfileUpdateRequest' });
export type UpdateMeData = z.input<typeof updateMeSchema>;

@ValidatedBy(updateMeSchema)
@InputType({ description: "Changes to the caller's profile or password: absent or null fields stay as they are, except fullName and avatarUrl, which null clears." })
export class UpdateMeInput {
  @Field(() => String, { nullable: true, description: 'The full name, up to 200 characters; null clears it.' })
  fullName?: string | null;

  @Field(() => String, { nullable: true, description: 'A new username: 3 to 32 letters, digits, underscores, dots or hyphens; unique whatever its case.' })
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'A new email address, unique whatever its case.' })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. "en" or "pt-BR".' })
  preferredLanguage?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. "Europe/Paris".' })
  timezone?: string | null;

  @Field(() => String, { nullable: true, description: 'An http(s) URL of a picture; null clears it.' })
  avatarUrl?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Show your XP profile (level, XP, streaks, modules completed; never your email or ids) to anyone who knows your username.' })
  publicProfile?: boolean | null;

  @Field(() => String, { nullable: true, description: 'The current password: required to set a new password or change the email (re-authentication, throttled with sign-ins).' })
  currentPassword?: string | null;

  @Field(() => String, { nullable: true, description: 'A new password, 8 to 256 characters, not a common or breached one nor the account name. Changing it ends every other login session.' })
  newPassword?: string | null;
}

@ObjectType({ description: 'What updateMe changed.' })
export class UpdateMePayload {
  @Field(() => User, { description: 'Your profile as it is now.' })
  user!: User;
}
