import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { AppError, type ErrorDetails } from '../common/errors.js';

/**
 * Flushes `em`; a write a unique index refused (a race past the caller's own check, two
 * registrations of one name, two turns finishing at once) answers `conflict` with `message`
 * and `details`. Any other failure is thrown as it came.
 * @throws conflict
 */
export async function flushOrConflict(em: EntityManager, message: string, details?: ErrorDetails): Promise<void> {
  try {
    await em.flush();
  } catch (e) {
    if (e instanceof UniqueConstraintViolationException) throw new AppError('conflict', message, details);
    throw e;
  }
}
