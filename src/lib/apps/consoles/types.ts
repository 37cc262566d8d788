import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;

/**
 * A console as the picker lists it (the server lists those the user may view; managers see all). Dates are
 * ISO strings: there is no transformer. `mode` is 'none' for a manager without a console grant on the device.
 */
export type ConsoleSummary = Out['consoles']['list'][number];
