import type { z } from 'zod';
import { AppError } from '../errors';

/** Validation at the edge: a zod failure becomes a 400 naming the fields. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const message = result.error.issues
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    throw new AppError('bad_request', { message });
  }
  return result.data;
}
