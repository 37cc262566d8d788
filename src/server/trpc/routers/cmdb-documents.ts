import { router } from '../trpc';

/** Documents attached to CIs (upload and download go over plain HTTP routes). */
export const cmdbDocumentsRouter = router({});
