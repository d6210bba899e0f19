/* src/worker/cmd/find_and_modify.c -- (being written) */
