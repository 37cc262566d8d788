import { router } from '../trpc';

/** The signed-in user's REST API tokens. */
export const apiTokensRouter = router({});
