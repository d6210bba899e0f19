/* src/worker/worker.c -- (being written) */
