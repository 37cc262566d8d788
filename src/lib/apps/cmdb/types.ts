import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;

/** Shapes as they arrive over tRPC (dates are ISO strings: there is no transformer). */
export type ModelView = Out['cmdb']['model'];
export type ClassView = ModelView['classes'][number];
export type AttrView = ClassView['attributes'][number];
export type DomainView = ModelView['domains'][number];
export type CiView = Out['cmdb']['get'];
export type RelationView = CiView['relations'][number];
export type ListResult = Out['cmdb']['list'];
export type ListItem = ListResult['items'][number];
export type HistoryEntry = Out['cmdb']['history'][number];
export type CiAt = Out['cmdb']['at'];
export type CiDiff = Out['cmdb']['diff'];
export type ListPrefs = NonNullable<Out['cmdb']['listPrefs']>;
export type Me = Out['desktop']['me'];

/** What a CMDB window shows; kept in the window's props so a reloaded desktop reopens it. */
export type View =
	| { view: 'all'; q: string }
	| { view: 'list'; class: string }
	| { view: 'new'; class: string }
	| { view: 'ci'; id: number; tab: CiTab }
	| { view: 'model'; section: 'classes' | 'domains'; class: string | null; domain: string | null }
	| { view: 'tokens' };

export const CI_TABS = ['attributes', 'relations', 'history', 'documents', 'graph'] as const;
export type CiTab = (typeof CI_TABS)[number];

/** Who an attribute belongs to: a class or a relation type (domain). */
export type Owner = { classId: number } | { domainId: number };
