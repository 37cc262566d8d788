import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { desktopLayouts } from '../db/schema';
import { layoutSchema, type Layout } from '../../lib/protocol/desktop';

export async function loadLayout(db: Db, userId: number): Promise<Layout | null> {
	const [row] = await db.select().from(desktopLayouts).where(eq(desktopLayouts.userId, userId));
	if (!row) return null;
	const parsed = layoutSchema.safeParse(row.layout);
	return parsed.success ? parsed.data : null; // a layout from an older version is dropped, not fatal
}

export async function saveLayout(db: Db, userId: number, layout: Layout): Promise<void> {
	const value = layoutSchema.parse(layout);
	await db
		.insert(desktopLayouts)
		.values({ userId, layout: value, updatedAt: new Date() })
		.onConflictDoUpdate({ target: desktopLayouts.userId, set: { layout: value, updatedAt: new Date() } });
}
