/* src/worker/dispatch.c -- (being written) */
