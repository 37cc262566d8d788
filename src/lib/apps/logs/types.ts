import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;

/** Shapes as they arrive over tRPC (dates are ISO strings: there is no transformer). */
export type Me = Out['desktop']['me'];
export type LogDevice = Out['logs']['devices'][number];
export type DeviceSources = Out['logs']['sources'];
export type Bookmark = Out['logs']['bookmarks']['list'][number];
export type Rule = Out['logs']['rules']['list'][number];
export type WatchLists = Out['logs']['watch']['list'];
export type GroupRow = Out['groups']['list'][number];
