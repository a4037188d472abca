import type { z } from 'zod';
import { parseInput } from '../common/validation.js';

/**
 * InputTypes and ArgsTypes are bound to the zod schema of the service method they feed:
 * the GraphQL door checks every bound argument with it before the resolver runs (as the
 * REST router checks a body with the route's schema), and a test compares each InputType's
 * fields, types and nullability with its schema, so the two cannot drift.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- decorator targets are classes of any shape
const bound = new Map<Function, z.ZodType>();

/** Binds an InputType or ArgsType class to the zod schema its values must pass. */
export function ValidatedBy(schema: z.ZodType): ClassDecorator {
  return (target) => {
    bound.set(target, schema);
  };
}

/** The schema bound to a class, if any. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
export const schemaOf = (target: Function): z.ZodType | undefined => bound.get(target);

/** Every binding, for the drift test. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- keyed by any class, as schemaOf above
export const boundInputs = (): ReadonlyMap<Function, z.ZodType> => bound;

/**
 * type-graphql's `validateFn`: an argument of a bound type is parsed with its schema; the
 * first broken rule of each field becomes one `validation_error` with the field paths.
 */
export function validateBoundArgument(value: unknown, type: unknown): void {
  if (value === null || value === undefined || typeof type !== 'function') return;
  const schema = bound.get(type);
  if (!schema) return;
  if (Array.isArray(value)) value.forEach((v) => parseInput(schema, v));
  else parseInput(schema, value);
}
