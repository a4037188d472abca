import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { passwordIsAccountName, SAME_AS_ACCOUNT } from '../../common/password-policy.js';
import { fields, str } from '../../common/validation.js';
import { User } from '../users/user.entity.js';

export const registerSchema = z
  .object({
    email: fields.email,
    username: fields.username,
    password: fields.password,
    fullName: fields.text(200).nullish(),
  })
  .superRefine((v, issue) => {
    if (passwordIsAccountName(v.password, [v.username, v.email])) issue.addIssue({ code: 'custom', path: ['password'], message: SAME_AS_ACCOUNT });
  });
export type RegisterData = z.input<typeof registerSchema>;

export const loginSchema = z.object({
  username: str().trim().min(1, 'is required').max(254, 'must be at most 254 characters'),
  password: str().min(1, 'is required').max(256, 'must be at most 256 characters'),
});
export type LoginData = z.input<typeof loginSchema>;

export const refreshSchema = z.object({
  refreshToken: str().min(1, 'is required').max(512, 'must be at most 512 characters'),
});
export type RefreshData = z.input<typeof refreshSchema>;

export const logoutSchema = z.object({
  refreshToken: str().max(512, 'must be at most 512 characters').nullish(),
});
export type LogoutData = z.input<typeof logoutSchema>;

/** What login and refresh return: the documented TokenResponse plus the user. */
export interface TokenPair {
  accessToken: string;
  tokenType: 'bearer';
  refreshToken: string;
  expiresIn: number;
  user: User;
}

@InputType()
export class RegisterInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  username!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String, { nullable: true })
  fullName?: string | null;
}

@InputType()
export class LoginInput {
  @Field(() => String, { description: 'The username or the email address.' })
  username!: string;

  @Field(() => String)
  password!: string;
}

@ObjectType('AuthPayload')
export class AuthPayload implements TokenPair {
  @Field(() => String)
  accessToken!: string;

  @Field(() => String, { description: 'Always "bearer".' })
  tokenType!: 'bearer';

  @Field(() => String, { description: 'Single use: each refresh returns a new one.' })
  refreshToken!: string;

  @Field(() => Int, { description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @Field(() => User)
  user!: User;
}
