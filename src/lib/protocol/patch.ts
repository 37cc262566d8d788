import { z } from 'zod';

/**
 * A schema for partial updates: every field optional and, unlike `.partial()`, without defaults, so a
 * field left out of a patch is left alone rather than reset.
 */
export function patchSchema<T extends z.ZodRawShape>(
	obj: z.ZodObject<T>
): ReturnType<z.ZodObject<T>['partial']> {
	const shape = Object.fromEntries(
		Object.entries(obj.shape).map(([k, v]) => [
			k,
			(v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : (v as z.ZodType)).optional()
		])
	);
	return z.object(shape) as unknown as ReturnType<z.ZodObject<T>['partial']>;
}
