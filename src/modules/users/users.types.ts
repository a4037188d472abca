import { Field, InputType } from 'type-graphql';
import { z } from 'zod';
import { fields, str } from '../../common/validation.js';

export const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const updateMeSchema = z
  .object({
    fullName: fields.text(200).nullish(),
    username: fields.username.optional(),
    email: fields.email.optional(),
    preferredLanguage: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "pt-BR"')
      .optional(),
    timezone: str().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"').optional(),
    avatarUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048, 'must be at most 2048 characters')
      .nullish(),
    /** Re-authentication: required (by the service) to change the email or the password. */
    currentPassword: str().max(256).optional(),
    newPassword: fields.password.optional(),
  });
export type UpdateMeData = z.input<typeof updateMeSchema>;

@InputType()
export class UpdateMeInput {
  @Field(() => String, { nullable: true })
  fullName?: string | null;

  @Field(() => String, { nullable: true })
  username?: string;

  @Field(() => String, { nullable: true })
  email?: string;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. "en" or "pt-BR".' })
  preferredLanguage?: string;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. "Europe/Paris".' })
  timezone?: string;

  @Field(() => String, { nullable: true })
  avatarUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Required with newPassword.' })
  currentPassword?: string;

  @Field(() => String, { nullable: true, description: 'Changing it ends every other login session.' })
  newPassword?: string;
}
