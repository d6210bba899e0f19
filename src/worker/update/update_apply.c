/* src/worker/update/update_apply.c -- (being written) */
