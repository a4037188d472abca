import { Field, InputType, Int, InterfaceType, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { passwordIsAccountName, SAME_AS_ACCOUNT } from '../../common/password-policy.js';
import { fields, str } from '../../common/validation.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { User } from '../users/index.js';

export const registerSchema = z
  .object({
    email: fields.email,
    username: fields.username,
    password: fields.password,
    fullName: fields.text(200).nullish(),
  })
  .superRefine((v, issue) => {
    if (passwordIsAccountName(v.password, [v.username, v.email])) issue.addIssue({ code: 'custom', path: ['password'], message: SAME_AS_ACCOUNT });
  }).meta({ id: 'RegisterRequest' });
export type RegisterData = z.input<typeof registerSchema>;

export const loginSchema = z.object({
  username: str().trim().min(1, 'is required').max(254, 'must be at most 254 characters'),
  password: str().min(1, 'is required').max(256, 'must be at most 256 characters'),
}).meta({ id: 'LoginRequest' });
export type LoginData = z.input<typeof loginSchema>;

export const refreshSchema = z.object({
  refreshToken: str().min(1, 'is required').max(512, 'must be at most 512 characters'),
}).meta({ id: 'RefreshRequest' });
export type RefreshData = z.input<typeof refreshSchema>;

export const logoutSchema = z.object({
  refreshToken: str().max(512, 'must be at most 512 characters').nullish(),
}).meta({ id: 'LogoutRequest' });
export type LogoutData = z.input<typeof logoutSchema>;

/** How an access token is presented: the documented `token_type`. */
export const TokenType = defineEnum('TokenType', 'How to present the access token.', {
  bearer: 'In the Authorization header: `Authorization: Bearer <accessToken>` (over graphql-ws: the connection parameter `Authorization`).',
});

/** What login and refresh return: the documented TokenResponse plus the user. */
export interface TokenPair {
  accessToken: string;
  tokenType: ValueOf<typeof TokenType>;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

@ValidatedBy(registerSchema)
@InputType({ description: 'A new account.' })
export class RegisterInput {
  @Field(() => String, { description: 'The email address, unique whatever its case.' })
  email!: string;

  @Field(() => String, { description: '3 to 32 letters, digits, underscores, dots or hyphens; unique whatever its case.' })
  username!: string;

  @Field(() => String, { description: '8 to 256 characters.' })
  password!: string;

  @Field(() => String, { nullable: true, description: 'The full name, up to 200 characters.' })
  fullName?: string | null;
}

@ValidatedBy(loginSchema)
@InputType({ description: 'Credentials to log in with.' })
export class LoginInput {
  @Field(() => String, { description: 'The username or the email address.' })
  username!: string;

  @Field(() => String, { description: 'The password.' })
  password!: string;
}

@ValidatedBy(refreshSchema)
@InputType({ description: 'A refresh token to spend.' })
export class RefreshTokenInput {
  @Field(() => String, { description: 'The refresh token of the last login or refresh: single use.' })
  refreshToken!: string;
}

@ValidatedBy(logoutSchema)
@InputType({ description: 'Which login session to end.' })
export class LogoutInput {
  @Field(() => String, { nullable: true, description: "The refresh token of the session to end; absent or null: the caller's current session (the bearer token's)." })
  refreshToken?: string | null;
}

@ObjectType({ description: 'What register changed.' })
export class RegisterPayload {
  @Field(() => User, { description: 'The new account. Log in to get tokens.' })
  user!: User;
}

/** The tokens login and refreshToken answer: the documented TokenResponse, plus the user. */
@InterfaceType('AuthPayload', { description: 'A new access token and refresh token (login, refreshToken), with the user they act for.' })
export abstract class AuthPayload implements TokenPair {
  @Field(() => String, { description: 'The access token (a JWT): send it as `Authorization: Bearer <accessToken>`.' })
  accessToken!: string;

  @Field(() => TokenType.graphql, { description: 'Always BEARER.' })
  tokenType!: ValueOf<typeof TokenType>;

  @Field(() => String, { description: 'Single use: each refresh returns a new one, and a spent one presented again ends the session.' })
  refreshToken!: string;

  @Field(() => Int, { description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @Field(() => User, { description: 'The user the tokens act for.' })
  user!: User;
}

@ObjectType({ implements: AuthPayload, description: 'What login answers: a new login session.' })
export class LoginPayload extends AuthPayload {}

@ObjectType({ implements: AuthPayload, description: 'What refreshToken answers: the same session, with new tokens.' })
export class RefreshTokenPayload extends AuthPayload {}

@ObjectType({ description: 'What logout changed.' })
export class LogoutPayload {
  @Field(() => Boolean, { description: 'Always true: the session has ended (logging out of one already ended, or of an unknown refresh token, changes nothing and is no error).' })
  loggedOut!: boolean;
}
