import { z } from 'zod';
import { isPageCursor } from '../redis/sorted-index';

/** `?cursor=&limit=` of every admin listing; `cursor` is the `next` of the previous page. */
export const pageQuery = z.object({
  cursor: z.string().max(512).refine(isPageCursor, 'must be a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** `{items, next}`: `next` is null on the last page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable() });
}
