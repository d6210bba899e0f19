/* src/worker/update/update_arrays.c -- (being written) */
